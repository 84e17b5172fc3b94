"""Command-line tasks: seed the demo data, create accounts."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from documents import Organisation, Role, User
from seed import demo


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the word lists, demo organisations, members and accounts (safe to run again)."""
    report = demo.load()
    click.echo("已加载演示数据：" + "，".join(f"{k} {v}" for k, v in report.items()))


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_code", help="组织代码（审核人、录入员必填）")
@click.option("--name", "display_name", default="")
@with_appcontext
def create_user_command(username, role, org_code, display_name):
    """Create an account; the password comes from PLEDGEDESK_PASSWORD or a prompt."""
    org = None
    if org_code:
        org = Organisation.objects(code=org_code.upper()).first()
        if org is None:
            raise click.ClickException(f"组织代码 {org_code} 不存在")
    elif role != Role.ADMIN.value:
        raise click.ClickException("审核人和录入员必须用 --org 指定组织")
    if User.objects(username=username).first():
        raise click.ClickException(f"用户名 {username} 已存在")
    password = os.environ.get("PLEDGEDESK_PASSWORD") or click.prompt("密码", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("密码至少8位")
    user = User(username=username, display_name=display_name or username, role=role, organisation=org)
    user.set_password(password)
    user.save_checked(None)
    click.echo(f"已创建账号 {username}（{user.role_title}）")
    current_app.logger.info("account %s created from the command line", username)


def init_cli(app):
    app.cli.add_command(seed_command)
    app.cli.add_command(create_user_command)

"""Command-line tasks: seed the demo data, create accounts, print archives, run background jobs."""
import datetime as dt
import functools
import os
import sys
import time
from pathlib import Path

import click
from bson import ObjectId
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from adminapp import db
from adminapp.views.settings import base_url
from documents import Organisation, Role, User, audit, copies, jobs, notices, summary
from documents.board import members_published
from documents.member import backfill_search_keys
from documents.organisation import backfill_paths
from documents.pledge import backfill_search
from documents.pledging import backfill_page_numbers
from documents.store import batch
from exporters import archive, plaques, pledge_cards
from seed import demo


@click.command("seed")
@click.option("--demo", "demo_data", is_flag=True, help="同时载入演示组织、党员、账号和承诺")
@with_appcontext
def seed_command(demo_data):
    """Load the word lists, default templates and evaluation scheme; with --demo also the demo data (safe to run again)."""
    report = demo.load() if demo_data else demo.load_reference()
    click.echo("已载入：" + "，".join(f"{k} {v}" for k, v in report.items()))


# What `flask backfill-paths` fills in, in order: names copied from the organisation come before the search entries
# that hold them.
BACKFILLS = (("组织路径", backfill_paths), ("名称副本", copies.backfill), ("党员查找索引", backfill_search_keys),
             ("承诺查找索引", backfill_search), ("承诺列表页码", backfill_page_numbers), ("操作日志", audit.backfill),
             ("操作日志中的名称", audit.backfill_names))


@click.command("backfill-paths")
@with_appcontext
def backfill_paths_command():
    """Give records made before org_path, the copied names, the search keys, the audit stamps and names and pledges'
    list page numbers their values, one step after another with its progress (safe to interrupt and run again)."""
    done = []
    with batch.reading():
        for step, (label, backfill) in enumerate(BACKFILLS, 1):
            click.echo(f"第 {step}/{len(BACKFILLS)} 步：{label}……")
            started = time.monotonic()
            with batch.reporting(lambda text, label=label: click.echo(f"  {label}：{text}")):
                count = backfill()
            click.echo(f"  {label}：补全 {count} 条，用时 {_duration(time.monotonic() - started)}")
            done.append(f"{label} {count} 条")
    click.echo("已补全" + "，".join(done))


@click.command("rebuild-summaries")
@with_appcontext
def rebuild_summaries_command():
    """Recount every organisation-year summary from the records (after a restore or a direct database change)."""
    started = time.monotonic()
    with batch.reporting(lambda text: click.echo(f"  {text}")):
        kept = summary.rebuild()
    click.echo(f"已重新统计 {kept} 份组织年度汇总，用时 {_duration(time.monotonic() - started)}")


def _duration(seconds):
    """A duration as a clerk reads it: 3 分 05 秒, or 12 秒."""
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} 分 {seconds:02d} 秒" if minutes else f"{seconds} 秒"


@click.command("chase")
@click.option("--date", "on", help="按哪一天计算（YYYY-MM-DD，默认今天）")
@with_appcontext
def chase_command(on):
    """Send the chase notices of every organisation; each event notifies once however often this runs (daily job)."""
    try:
        today = dt.date.fromisoformat(on) if on else None
    except ValueError as exc:
        raise click.ClickException(f"日期格式应为 YYYY-MM-DD：{on}") from exc
    click.echo(f"已发送催办提醒 {notices.run_chase(today)} 条")


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
    password = os.environ.get("PLEDGEDESK_PASSWORD") or click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")
    if len(password) < 8:
        raise click.ClickException("密码至少8位")
    user = User(username=username, display_name=display_name or username, role=role, organisation=org)
    user.set_password(password)
    user.save_checked(None)
    click.echo(f"已创建账号 {username}（{user.role_title}）")
    current_app.logger.info("account %s created from the command line", username)


@click.group("export")
def export_group():
    """Print archives: pledge letters, board sheets, 承诺卡, a year's archive."""


@export_group.command("pledge")
@click.argument("pledge_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_pledge(pledge_id, output):
    """One pledge letter (承诺书) as PDF."""
    pledge = archive.load_pledge(pledge_id) if ObjectId.is_valid(pledge_id) else None
    if pledge is None:
        raise click.ClickException(f"找不到承诺 {pledge_id}")
    Path(output).write_bytes(archive.pledge_pdf(pledge))
    click.echo(f"已导出 {output}")


@export_group.command("board")
@click.argument("code")
@click.option("--year", type=int, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_board(code, year, output):
    """The 公示 sheet of an organisation for a year, as PDF."""
    organisation = _organisation(code)
    Path(output).write_bytes(archive.board_pdf(organisation, year, base_url()))
    click.echo(f"已导出 {output}")


@export_group.command("activity")
@click.argument("kind", type=click.Choice(sorted(plaques.RENDERERS)))
@click.argument("record_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_activity(kind, record_id, output):
    """A model post's plaque (plaque), a zone's responsibility board (zone) or a member's three cards (card), as PDF."""
    document = plaques.RENDERERS[kind][0]
    if not ObjectId.is_valid(record_id) or document.objects(pk=ObjectId(record_id)).order_by().first() is None:
        raise click.ClickException(f"找不到记录 {record_id}")
    Path(output).write_bytes(plaques.render_task((kind, ObjectId(record_id)))[1])
    click.echo(f"已导出 {output}")


@export_group.command("cards")
@click.argument("code")
@click.option("--year", type=int, required=True)
@click.option("--size", type=click.Choice(list(pledge_cards.SIZES)), default="badge", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_cards(code, year, size, output):
    """The 承诺卡 of every member of an organisation whose pledge of the year is published, one a page, as PDF."""
    organisation = _organisation(code)
    rows = members_published(organisation, year)
    Path(output).write_bytes(pledge_cards.cards_pdf(rows, organisation, base_url(), size))
    click.echo(f"已导出 {output}：{len(rows)} 张承诺卡")


@export_group.command("archive")
@click.option("--org", "code", required=True)
@click.option("--year", type=int, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_archive(code, year, output):
    """Every letter, the board sheet, the ledgers and a SHA-256 manifest of an organisation's year, as a zip."""
    _write_zip(archive.archive_tasks(_organisation(code), year, base_url()), output, "正在生成归档")


@export_group.command("ledgers")
@click.option("--org", "code", required=True)
@click.option("--year", type=int, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_ledgers(code, year, output):
    """Every ledger of an organisation's year (a street's included), as PDF and .xlsx in a zip."""
    _write_zip(archive.ledger_tasks(_organisation(code), year), output, "正在生成台账")


def _write_zip(tasks, output, label):
    """Render the tasks into a zip with its manifest, showing a progress bar (longer as long ledgers give volumes)."""
    with click.progressbar(length=len(tasks), label=label, file=sys.stderr) as bar, open(output, "wb") as target:
        def advance(_done, total):
            bar.length = total
            bar.update(1)
        manifest = archive.write_archive(target, tasks, _app_factory(), progress=advance)
    click.echo(f"已导出 {output}：{len(manifest)} 个文件")


def _app_factory():
    """A picklable recipe for an app on this app's database, for worker processes (which leave indexes to the web app)."""
    from adminapp import create_app
    return functools.partial(create_app, {"MONGODB_URI": current_app.config["MONGODB_URI"], "POSTGRES_URL": None})


@click.group("job")
def job_group():
    """Background jobs (started by the web pages)."""


@job_group.command("run")
@click.argument("job_id")
@click.option("--attempt", type=int, default=1)
@with_appcontext
def run_job(job_id, attempt):
    """Do the work of one job in this process: what a page's 确认导入 or 归档 button starts."""
    job = jobs.run(job_id, attempt)
    click.echo(f"{job_id}: {job.state_title if job else '不存在'}")


def _archive_job(job, report):
    return archive.run_archive_job(job, report, _app_factory())


def _files_job(job, report):
    return archive.run_files_job(job, report, _app_factory())


jobs.HANDLERS["archive"] = _archive_job
jobs.HANDLERS["files"] = _files_job
jobs.HANDLERS["cards"] = pledge_cards.run_cards_job


def _organisation(code):
    organisation = Organisation.objects(code=code.upper()).first()
    if organisation is None:
        raise click.ClickException(f"组织代码 {code} 不存在")
    return organisation


def _needs_database(command):
    """Make `command` (or each subcommand) say in one Chinese line that no database answers, not fail with a traceback."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _needs_database(sub)
        return
    callback = command.callback

    @functools.wraps(callback)
    def checked(*args, **kwargs):
        context = click.get_current_context()
        app = context.ensure_object(ScriptInfo).load_app()
        if not db.ping():
            click.echo(f"无法连接数据库 {_server(app.config['MONGODB_URI'])}：请先在另一个终端运行 make run，"
                       "或设置 MONGODB_URI 指向正在运行的数据库。", err=True)
            context.exit(1)
        return callback(*args, **kwargs)

    command.callback = checked


def _server(uri):
    """The host:port part of a MongoDB URI, without any password."""
    return uri.split("@")[-1].split("://")[-1].split("/")[0]


def init_cli(app):
    for command in (seed_command, backfill_paths_command, rebuild_summaries_command, create_user_command, chase_command,
                    export_group, job_group):
        app.cli.add_command(command)
    for command in app.cli.commands.values():
        _needs_database(command)

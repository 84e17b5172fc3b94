"""`make run`: start the embedded database unless MONGODB_URI is set, seed once, serve the app."""
import os
import signal
import sys

from adminapp.config import VAR_DIR


def _print_accounts():
    from seed.demo import ACCOUNTS, DEMO_PASSWORD
    print("\n演示账号（首次运行创建；密码均为 %s，登录后可在“系统管理 → 账号”中修改）：" % DEMO_PASSWORD)
    for username, display_name, _role, _org in ACCOUNTS:
        print(f"  {username:<12} {display_name}")


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    # A service manager stops us with SIGTERM: leave through the same `finally` as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Served over plain http on this machine; behind HTTPS leave SESSION_COOKIE_SECURE unset (on).
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    database = None
    if not os.environ.get("MONGODB_URI"):
        from adminapp.embedded_db import EmbeddedFerretDB
        database = EmbeddedFerretDB(VAR_DIR / "ferretdb", port=int(os.environ.get("PLEDGEDESK_DB_PORT", "27018")))
        database.start()
        os.environ["MONGODB_URI"] = database.uri("pledgedesk")
        print(f"嵌入式数据库 FerretDB 已启动：127.0.0.1:{database.port}，数据目录 {database.data_dir}")
    try:
        from adminapp import create_app
        from documents import Organisation
        from seed import demo

        app = create_app()
        with app.app_context():
            first_run = Organisation.objects.first() is None
            report = demo.load()
            if first_run:
                print("已加载演示数据：" + "，".join(f"{k} {v}" for k, v in report.items()))
                _print_accounts()
            else:
                print("数据已存在，未重复加载演示数据。演示账号见 README。")
        print(f"\n请在浏览器打开 http://{host}:{port}/login ，按 Ctrl-C 停止。\n")
        from adminapp.security import QuietRequestHandler
        app.run(host=host, port=port, use_reloader=False, request_handler=QuietRequestHandler)
    except KeyboardInterrupt:
        pass
    finally:
        if database is not None:
            database.stop()
            print("数据库已停止。")
    return 0


if __name__ == "__main__":
    sys.exit(main())

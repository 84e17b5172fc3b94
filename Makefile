.PHONY: run test bootstrap translations

bootstrap:
	scripts/bootstrap.sh

run: bootstrap
	.venv/bin/python -m adminapp.devserver

test: bootstrap
	.venv/bin/python -m pytest -q -n $$(($$(nproc) + 1))

translations:
	.venv/bin/pybabel extract -F babel.cfg -k _l -o adminapp/translations/messages.pot .
	.venv/bin/pybabel update -i adminapp/translations/messages.pot -d adminapp/translations
	.venv/bin/pybabel compile -d adminapp/translations

"""``flask --app wsgi lrs client create NAME [--json] [--credit]`` and friends."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from modules.lrs import clients

lrs = AppGroup("lrs", help="The xAPI LRS: clients and forwarding.")
client = AppGroup("client", help="LRS clients (HTTP Basic key and secret).")
lrs.add_command(client)


@client.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as JSON.")
@click.option("--credit", is_flag=True, help="Its completed/passed statements award training periods.")
@click.option("--read-only", is_flag=True, help="May only read.")
@click.option("--write-only", is_flag=True, help="May only write statements and documents.")
@click.option("--scope", type=click.Choice(clients.SCOPES), default="all", help="own: reads only what it stored.")
def create(name: str, as_json: bool, credit: bool, read_only: bool, write_only: bool, scope: str) -> None:
    """Create a client and print its key and secret (the secret is shown only now)."""
    if read_only and write_only:
        raise click.UsageError("--read-only and --write-only exclude each other")
    issued = clients.create_client(
        db.session,
        server_key=current_app.config["SECRET_KEY"],
        name=name,
        credit_trusted=credit,
        can_read=not write_only,
        can_write=not read_only,
        scope=scope,
    )
    db.session.commit()
    endpoint = f"{current_app.config['SITE_URL']}/xapi/"
    if as_json:
        click.echo(json.dumps({"endpoint": endpoint, "key": issued.key, "secret": issued.secret}))
    else:
        click.echo(f"endpoint: {endpoint}\nkey:      {issued.key}\nsecret:   {issued.secret}")


@client.command("list")
def list_() -> None:
    """The clients, newest first."""
    for row in clients.list_clients(db.session):
        rights = ("r" if row.can_read else "-") + ("w" if row.can_write else "-")
        state = "revoked" if row.revoked_at else "active"
        click.echo(
            f"{row.key}  {rights}  {row.scope:<4} {'credit' if row.credit_trusted else '-':<6} {state:<7} {row.name}"
        )


@client.command("revoke")
@click.argument("key")
def revoke(key: str) -> None:
    """Stop the client with this key from working."""
    found = next((row for row in clients.list_clients(db.session) if row.key == key), None)
    if found is None:
        raise click.ClickException(f"no LRS client with key {key}")
    clients.revoke_client(db.session, found.id, None)
    db.session.commit()
    click.echo(f"revoked {key}")

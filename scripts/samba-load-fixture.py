#!/usr/bin/python3
"""Loads the fixture (JSON from `anchorsync-fixture`) into a provisioned, stopped Samba DC's sam.ldb.

Usage: samba-load-fixture.py SMB_CONF SAM_LDB FIXTURE_JSON

Offline and in batched transactions, which is several times faster than ldapadd, and with the relax control,
which lets the fixture set objectGUID and objectSid so that the directory is the same on every run.
Runs with Debian's python3 because it needs Samba's Python bindings (python3-samba).
"""
import base64
import json
import sys
import time

import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB


# Exchange's mailNickname is not in Samba's (Windows Server 2012 R2) base schema. Real directories that
# anchorsync reads usually have it (Exchange, or Entra Connect's schema use), so the fixture extends the
# schema the way Exchange does: the attribute, and mail-Recipient (an auxiliary class of user) may hold it.
MAIL_NICKNAME = """
dn: CN=ms-Exch-Mail-Nickname,{schema}
objectClass: attributeSchema
cn: ms-Exch-Mail-Nickname
lDAPDisplayName: mailNickname
attributeID: 1.2.840.113556.1.2.447
attributeSyntax: 2.5.5.12
oMSyntax: 64
isSingleValued: TRUE
rangeLower: 1
rangeUpper: 64
searchFlags: 1
adminDisplayName: ms-Exch-Mail-Nickname
"""

MAIL_RECIPIENT = """
dn: CN=Mail-Recipient,{schema}
changetype: modify
add: mayContain
mayContain: mailNickname
"""


def extend_schema(samdb):
    schema = str(samdb.get_schema_basedn())
    # Two steps: mayContain can only name an attribute the loaded schema already knows.
    for ldif, apply in ((MAIL_NICKNAME, samdb.add_ldif), (MAIL_RECIPIENT, samdb.modify_ldif)):
        samdb.transaction_start()
        try:
            apply(ldif.format(schema=schema), controls=["relax:0"])
        except Exception:
            samdb.transaction_cancel()
            raise
        samdb.transaction_commit()
        samdb.set_schema_update_now()


def main():
    smb_conf, sam_ldb, fixture_path = sys.argv[1:4]
    started = time.monotonic()
    lp = LoadParm()
    lp.load(smb_conf)
    lp.set("dsdb:schema update allowed", "true")
    samdb = SamDB(url=sam_ldb, session_info=system_session(), lp=lp)
    extend_schema(samdb)
    samdb = SamDB(url=sam_ldb, session_info=system_session(), lp=lp)
    with open(fixture_path, encoding="ascii") as f:
        objects = json.load(f)
    # Transactions of a few hundred objects: one transaction for everything gets slower with every
    # object added (tens of thousands take minutes instead of seconds).
    batch = 500
    for start in range(0, len(objects), batch):
        samdb.transaction_start()
        try:
            for obj in objects[start:start + batch]:
                message = ldb.Message()
                message.dn = ldb.Dn(samdb, base64.b64decode(obj["dn"]).decode("utf-8"))
                for name, values in obj["attributes"]:
                    message[name] = ldb.MessageElement(
                        [base64.b64decode(v) for v in values], ldb.FLAG_MOD_ADD, name
                    )
                samdb.add(message, controls=["relax:0"])
        except Exception:
            samdb.transaction_cancel()
            raise
        samdb.transaction_commit()
    print(f"loaded {len(objects)} objects in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

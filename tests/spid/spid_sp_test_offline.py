"""Runs AgID's spid_sp_test unchanged, except that --production's online IndicePA lookup of
the IPA code is answered from an allow-list (SPID_IPA_CODES, comma separated): the tests run
without internet, and the demo comuni have fictional IPA codes.

usage: python spid_sp_test_offline.py <spid_sp_test arguments>
"""

import os
import runpy
import shutil
import sys

import spid_sp_test.metadata_public as metadata_public

allowed = {c.strip() for c in os.environ.get("SPID_IPA_CODES", "").split(",") if c.strip()}


def lookup(code):
    if code in allowed:
        return (1, {"offline-allow-list": code})
    return [-1, {"errore": f"{code} is not in SPID_IPA_CODES"}]


metadata_public.get_indicepa_by_ipacode = lookup
sys.argv[0] = shutil.which("spid_sp_test")
runpy.run_path(sys.argv[0], run_name="__main__")

#!/usr/bin/env bash
# System packages the test suite and `make run` need, installed only when missing (a fast
# no-op otherwise). Debian/Ubuntu, as root (CI runs as root); otherwise it says what to
# install and fails. Called by `make test`.
#
# - espeak-ng, lame: radio scripts rendered to speech (Vietnamese voices) and MP3;
# - ffmpeg: broadcast-ready radio audio (loudness to EBU R128, jingles, MP3 mono) and
#   measuring it (ffprobe for lengths, the ebur128 filter for loudness);
# - libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0: weasyprint lays out PDF reports;
# - fonts-dejavu-core: a font with every Vietnamese letter and tone mark;
# - fonts-liberation2: Liberation Serif 2, Times New Roman's metrics with every Vietnamese
#   letter, the typeface Decree 30/2020/NĐ-CP asks of the reports (embedded in their PDFs;
#   fonts-liberation's 1.07 lacks ơ and ư);
# - poppler-utils: pdftotext/pdftoppm, to read PDF reports in tests;
# - postgresql: the server (initdb, pg_ctl) for the scale-out tests (tests/integration/pg.py),
#   and pg_dump/pg_restore for `bantin backup`/`restore` on PostgreSQL;
# - chromium: the real browser the desk's browser tests drive (Playwright, executable_path);
# - systemd: systemd-analyze, which checks deploy/systemd's units (tests/ops/test_deploy.py);
# - the WordPress stack for the portal channel's integration test (scripts/wordpress.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(espeak-ng lame ffmpeg libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium
          fonts-dejavu-core fonts-liberation2 poppler-utils postgresql systemd)
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "system-deps: missing ${missing[*]}; install them (apt-get install ...) or run as root" >&2
        exit 1
    fi
    echo "system-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/wordpress.sh install

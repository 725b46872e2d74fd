#!/usr/bin/env bash
# Installs the programs the portal runs besides Python: espeak-ng (text-to-speech announcements),
# sox/soxi with MP3 support (uploaded audio probed and normalised to 8 kHz mono WAV), Graphviz's
# dot (the console's picture of a system's menus) and Kamailio with its PostgreSQL modules (the SIP
# edge: registrar and dispatcher in front of the executors).
#
#   bash scripts/system-deps.sh            # what `make run` needs
#   bash scripts/system-deps.sh --tests    # and what the tests need: sipp (sip-tester), a real SIP peer,
#                                          # and chromium, the browser the console tests drive
#
# Idempotent: does nothing when they are all there. Otherwise installs Debian's packages (apt-get
# update first, non-interactive), as root or through `sudo -n`, so `make run` and `make test` work on
# a fresh Debian 12 machine, in CI and without a terminal.
set -euo pipefail

log() { echo "system-deps: $*" >&2; }

sox_reads_mp3() { sox -h 2>/dev/null | grep -i '^AUDIO FILE FORMATS:' | grep -qw mp3; }

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
if ! command -v sox >/dev/null || ! command -v soxi >/dev/null; then missing+=(sox); fi
if ! command -v sox >/dev/null || ! sox_reads_mp3; then missing+=(libsox-fmt-mp3); fi
command -v dot >/dev/null || missing+=(graphviz)
kamailio_ready() { [[ -x /usr/sbin/kamailio ]] && compgen -G '/usr/lib/*/kamailio/modules/db_postgres.so' >/dev/null; }
kamailio_ready || missing+=(kamailio kamailio-postgres-modules)
if [[ ${1:-} == --tests ]] && ! command -v sipp >/dev/null; then missing+=(sip-tester); fi
if [[ ${1:-} == --tests ]] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || { log "please install: ${missing[*]}"; exit 1; }
  sudo=(sudo -n)
fi
log "installing ${missing[*]} from Debian's packages"
# Keep apt from starting a package's own system-wide server (Kamailio's): the product runs its own
# instance, with its own configuration and ports.
policy=/usr/sbin/policy-rc.d added_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  added_policy=1
fi
status=0
{
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
} </dev/null >/dev/null || status=$?
if [[ $added_policy -eq 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi
if [[ $status -ne 0 ]]; then
  log "apt-get failed ($status)"
  exit "$status"
fi
if ! command -v espeak-ng >/dev/null || ! command -v soxi >/dev/null || ! sox_reads_mp3 || ! command -v dot >/dev/null; then
  log "espeak-ng, sox, sox's MP3 support and graphviz are still missing after the install"
  exit 1
fi
if ! kamailio_ready; then
  log "kamailio or its PostgreSQL modules are still missing after the install"
  exit 1
fi
if [[ ${1:-} == --tests ]] && ! command -v sipp >/dev/null; then
  log "sipp is still missing after installing sip-tester"
  exit 1
fi
if [[ ${1:-} == --tests ]] && ! command -v chromium >/dev/null; then
  log "chromium is still missing after the install"
  exit 1
fi

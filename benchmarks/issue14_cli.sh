#!/bin/bash
# Issue 14's command-line measurements at 1M (benchmarks/ISSUE14.md, sections 9-10).
#   benchmarks/issue14_cli.sh oneday DUMP OUT     the twelve one-day exports and two one-week ones
#   benchmarks/issue14_cli.sh budget DUMP OUT     whole-range user, resolved-conversation, message
#                                                 without a limit and under 4GiB and 2GiB, compared with cmp
# Each run is its own process, timed by /usr/bin/time ("%e s %M KB": wall seconds, peak RSS).
# SPARKDESK_CACHE_DIR must name a cache holding the dump (an `inspect` before makes it).
set -u
MODE=$1 DUMP=$2 OUT=$3
SD=${SPARKDESK:-sparkdesk}
mkdir -p "$OUT"; : > "$OUT/times.txt"
if [ "$MODE" = oneday ]; then
  for t in resolved-conversation open-conversation message team contact topic tag user-presence user \
           response-times virtual-agent contact-attribute; do
    /usr/bin/time -f "$t %e s %M KB" $SD export "$DUMP" --type $t --tz Europe/Madrid \
      --from 2025-06-10 --to 2025-06-10 --quiet --out "$OUT/$t.csv" 2>> "$OUT/times.txt"
  done
  for t in team user; do
    /usr/bin/time -f "week-$t %e s %M KB" $SD export "$DUMP" --type $t --tz America/New_York \
      --from 2025-05-26 --to 2025-06-01 --channel ch-web --channel ch-sms --lang es --quiet \
      --out "$OUT/week-$t.csv" 2>> "$OUT/times.txt"
  done
else
  for t in user resolved-conversation message; do
    for lim in none 4GiB 2GiB; do
      L=(); [ $lim != none ] && L=(--memory-limit $lim)
      uptime >> "$OUT/times.txt"
      /usr/bin/time -f "$t $lim %e s %M KB" $SD export "$DUMP" --type $t --tz UTC --from 2025-05-01 \
        --to 2025-06-30 "${L[@]}" --quiet --out "$OUT/$t-$lim.csv" 2>> "$OUT/times.txt"
      if [ $lim != none ]; then
        cmp -s "$OUT/$t-none.csv" "$OUT/$t-$lim.csv" && echo "$t $lim identical" >> "$OUT/times.txt" \
          || echo "$t $lim DIFFERENT or missing" >> "$OUT/times.txt"
      fi
    done
    rm -f "$OUT"/message-*.csv  # 2.9 GB each: measured, then deleted at once
  done
fi

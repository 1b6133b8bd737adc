#!/bin/bash
# sanitizer_lib.sh: the settings and reports of the sanitizer runtimes,
# shared by the sanitized test beds (sourced by testbed_sanitized.sh and
# testbed_extension_asan.sh).
#
#   sanitizer_options DIR [SYMBOLIZE]
#                           AddressSanitizer, LeakSanitizer and
#                           UndefinedBehaviorSanitizer settings, as a
#                           NAME=VALUE line each: every report goes to a
#                           file of its own in DIR (asan.PID, ubsan.PID),
#                           never to stderr, which the tests read; a memory
#                           error aborts the process (a crash, which a
#                           postmaster sees as one), a leak leaves its exit
#                           status alone (a leak at a backend's exit must
#                           not look like a crash to the postmaster);
#                           frames are symbolized by the runtime only with
#                           SYMBOLIZE 1 (see below)
#   sanitizer_reports DIR [EXCEPT]
#                           prints every report in DIR, symbolized, as TAP
#                           comments, leaving out the file EXCEPT; false
#                           when there was one.  A memory error or
#                           undefined behaviour always counts; a leak counts
#                           when it is a direct leak (an indirect one is
#                           reachable from a direct one, reported on its
#                           own) whose allocation stack matches
#                           SANITIZER_LEAK_SCOPE (an awk regular
#                           expression, default: any); the others are
#                           summed up by stack and do not count
#   sanitizer_symbolized FILE
#                           the report FILE with each frame's function and
#                           source line (addr2line)
#
# Leaks are reported (detect_leaks=1), with allocation stacks deep enough
# to reach the caller through OpenSSL (malloc_context_size).  In a server,
# the runtime writes frames as module+offset (symbolize=0): symbolizing the
# leaks of every backend at its exit made a connection four times slower;
# the reports that are printed are symbolized here instead.

sanitizer_options() {
	local dir=$1 symbolize=${2:-0}
	echo "ASAN_OPTIONS=log_path=$dir/asan:exitcode=0:abort_on_error=1:symbolize=$symbolize:detect_leaks=1:malloc_context_size=64:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
	echo "UBSAN_OPTIONS=log_path=$dir/ubsan:symbolize=$symbolize:print_stacktrace=1:halt_on_error=1:abort_on_error=1"
}

# sanitizer_frame MODULE+0xOFFSET: the function there and its source line;
# "near" the closest exported function before it when the module has no
# debugging information (Debian's postgres); else MODULE+0xOFFSET.
sanitizer_frame() {
	local where fn line
	where=$(addr2line -f -e "${1%+*}" "${1##*+}" 2>/dev/null | paste -sd ' ')
	fn=${where%% *}
	line=${where#* }
	if [ -z "$fn" ] || [ "$fn" = "??" ]; then
		echo "$1"
	elif [[ $line == \?\?:* ]]; then
		echo "near $fn"
	else
		echo "$fn $line"
	fi
}

sanitizer_symbolized() {
	local line frame
	while IFS= read -r line; do
		if [[ $line =~ ^(\ *#[0-9]+\ 0x[0-9a-f]+)\ +\((/[^+]+\+0x[0-9a-f]+)\)$ ]]; then
			frame=${BASH_REMATCH[2]}
			echo "${BASH_REMATCH[1]} in $(sanitizer_frame "$frame") ($frame)"
		else
			echo "$line"
		fi
	done <"$1"
}

sanitizer_reports() {
	local dir=$1 except=${2:-} f stack count
	local files=()
	for f in "$dir"/asan.* "$dir"/ubsan.*; do
		[ -e "$f" ] && [ "$f" != "$except" ] && files+=("$f")
	done
	[ ${#files[@]} -eq 0 ] && return 0
	# Paragraphs: a direct leak in scope, or any other report, counts: the
	# files that do are printed.  The four innermost frames of each direct
	# leak out of scope, past the allocator, go to DIR.ignored.
	awk -v scope="${SANITIZER_LEAK_SCOPE:-.}" -v ignored="$dir.ignored" '
		BEGIN { RS = "" }
		FNR == 1 { counted = 0 }
		/^Direct leak of/ && $0 !~ scope {
			stack = ""
			n = 0
			for (i = 1; i < NF && n < 4; i++) {
				frame = ""
				if ($i ~ /^0x[0-9a-f]+$/ && $(i + 1) ~ /^\(\/.*\)$/ && $(i + 1) !~ /libasan/)
					frame = substr($(i + 1), 2, length($(i + 1)) - 2)
				else if ($i == "in" && $(i + 1) !~ /^([0-9]|__interceptor_|(malloc|calloc|realloc|strdup)$)/)
					frame = $(i + 1)
				if (frame != "")
					stack = stack (n++ ? " " : "") frame
			}
			print stack >>ignored
			next
		}
		/^Indirect leak of/ { next }
		/^Direct leak of|ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error/ {
			if (!counted)
				print FILENAME
			counted = 1
		}' "${files[@]}" >"$dir.counted"
	while read -r f; do
		echo "# sanitizer report $(basename "$f"):"
		sanitizer_symbolized "$f" | sed 's/^/#   /'
	done <"$dir.counted"
	if [ -s "$dir.ignored" ]; then
		echo "# leaks out of scope (no frame matches \"$SANITIZER_LEAK_SCOPE\"), by allocation stack:"
		sort "$dir.ignored" | uniq -c | sort -rn | while read -r count stack; do
			echo "#   $count: $(for f in $stack; do
				if [[ $f == /*+0x* ]]; then sanitizer_frame "$f" | sed 's/ [^ ]*:[0-9?].*$//'; else echo "$f"; fi
			done | paste -sd '<' | sed 's/</ < /g')"
		done
		rm -f "$dir.ignored"
	fi
	[ ! -s "$dir.counted" ]
}

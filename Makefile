# pg_tls_audit: PGXS build of the extension, plus the pg_tls_probe harness
# (harness/Makefile) and the project's test, demo and bench entry points.

EXTENSION = pg_tls_audit
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = pg_tls_audit
OBJS = \
	extension/pg_tls_audit.o \
	extension/session.o \
	extension/x509_fields.o \
	extension/sessions.o \
	extension/conn_log.o \
	extension/policy.o \
	extension/config_audit.o \
	extension/server_certs.o \
	extension/escape.o \
	extension/role_list.o \
	extension/settings.o \
	extension/catalog_query.o \
	extension/links.o \
	common/conninfo_judgement.o

DATA = $(wildcard extension/$(EXTENSION)--*.sql)

REGRESS = init tls_session tls_peer_certificate tls_bad_input tls_encoding tls_without_preload tls_audit tls_server_certificates api_shape tls_upgrade
REGRESS_OPTS = --inputdir=.

# The suite of the test bed's second cluster, which preloads the library
# (harness/t/testbed_preload.sh runs it with installcheck-preload).
REGRESS_PRELOAD = preload_init preload_sessions preload_connection_log
PRELOAD_OUTPUTDIR ?= preload_results

# tls_links() parses and judges connection strings with libpq's own parser,
# through the judgement pg_tls_probe compiles too (common/); libpq is linked
# as contrib/dblink links it.
PG_CPPFLAGS = -DPG_TLS_AUDIT_VERSION='"$(EXTVERSION)"' -I$(libpq_srcdir) -Icommon
# The test bed builds with test-only hooks (make PG_TLS_AUDIT_TEST_HOOKS=1:
# settings that stretch a connection-log write, for the signal tests of
# harness/t/test_conn_log.sh); a release build never has them.
ifeq ($(PG_TLS_AUDIT_TEST_HOOKS),1)
PG_CPPFLAGS += -DPG_TLS_AUDIT_TEST_HOOKS
endif
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK = -lssl -lcrypto
SHLIB_LINK_INTERNAL = $(libpq)


PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The objects are rebuilt whenever the build variant changes: the file is
# rewritten as the Makefile is read (PGXS's .SECONDARY would not remake a
# missing prerequisite).
BUILD_VARIANT := $(EXTVERSION) $(if $(filter 1,$(PG_TLS_AUDIT_TEST_HOOKS)),test-hooks,release)
ifneq ($(shell cat extension/build-variant 2>/dev/null),$(BUILD_VARIANT))
$(shell echo '$(BUILD_VARIANT)' >extension/build-variant)
endif
$(OBJS): extension/build-variant

.PHONY: harness install-harness uninstall-harness clean-harness clean-fuzz test test-all test-drivers test-patroni recipes demo bench installcheck-preload deb dist \
	test-asan test-extension-asan fuzz fuzz-check fuzz-merge

# HARNESS=no builds and installs the extension alone (the Debian packages
# build pg_tls_probe once, on its own: debian/rules).
HARNESS ?= yes
ifneq ($(HARNESS),no)
all: harness
install: install-harness
endif
clean: clean-harness clean-fuzz

harness:
	$(MAKE) -C harness PG_CONFIG=$(PG_CONFIG)

# pg_tls_probe is installed in pg_config's bindir, with a symbolic link in
# PTP_LINK_DIR (empty: none) so that it is on a user's PATH; its manual page
# in pg_config's mandir, with a link in PTP_MAN_LINK_DIR (empty: none) so
# that "man pg_tls_probe" finds it.  All honour DESTDIR; a link that cannot
# be made is an error, not a silent skip.
PTP_LINK_DIR ?= /usr/local/bin
PTP_MAN_LINK_DIR ?= /usr/local/share/man/man1
install-harness: harness
	$(MAKE) -C harness PG_CONFIG=$(PG_CONFIG) install
ifneq ($(PTP_LINK_DIR),)
	$(MKDIR_P) '$(DESTDIR)$(PTP_LINK_DIR)'
	ln -sf '$(bindir)/pg_tls_probe' '$(DESTDIR)$(PTP_LINK_DIR)/pg_tls_probe'
endif
ifneq ($(PTP_MAN_LINK_DIR),)
	$(MKDIR_P) '$(DESTDIR)$(PTP_MAN_LINK_DIR)'
	ln -sf '$(mandir)/man1/pg_tls_probe.1' '$(DESTDIR)$(PTP_MAN_LINK_DIR)/pg_tls_probe.1'
endif

ifneq ($(HARNESS),no)
uninstall: uninstall-harness
endif
uninstall-harness:
	$(MAKE) -C harness PG_CONFIG=$(PG_CONFIG) uninstall
ifneq ($(PTP_LINK_DIR),)
	rm -f '$(DESTDIR)$(PTP_LINK_DIR)/pg_tls_probe'
endif
ifneq ($(PTP_MAN_LINK_DIR),)
	rm -f '$(DESTDIR)$(PTP_MAN_LINK_DIR)/pg_tls_probe.1'
endif

clean-harness:
	$(MAKE) -C harness PG_CONFIG=$(PG_CONFIG) clean

clean-fuzz:
	$(MAKE) -C fuzz clean

# The whole suite: build, install, start a throwaway TLS cluster, run
# pg_regress (including the pgTAP checks) against it, stop it.  With PG=N,
# the same suite inside a Debian chroot that has PostgreSQL N
# (harness/scripts/chroot.sh); test-all runs it for every supported major.
PG ?=
test:
ifeq ($(PG),)
	bash harness/t/testbed.sh test
else
	bash harness/scripts/chroot.sh $(PG) make test
endif

test-all:
	$(MAKE) test
	$(MAKE) test PG=17
	$(MAKE) test PG=18

demo:
	bash harness/t/testbed.sh demo

# Sanitizers and fuzzers (doc/testing-sanitizers.md).  test-asan: the
# harness's suites with pg_tls_probe built with AddressSanitizer and
# UndefinedBehaviorSanitizer; test-extension-asan: pg_tls_audit built so,
# in real servers (installcheck, the preload suite, a canary the run must
# catch); fuzz-check: every libFuzzer target on its committed corpus, then
# a fixed number of runs with a fixed seed; fuzz: FUZZ_SECONDS per target;
# fuzz-merge: new inputs that reach new code into fuzz/corpus/.
test-asan:
	bash harness/t/testbed_sanitized.sh

test-extension-asan:
	bash harness/t/testbed_extension_asan.sh

fuzz:
	bash harness/scripts/install-deps.sh
	$(MAKE) -C fuzz PG_CONFIG=$(PG_CONFIG) run

fuzz-check:
	bash harness/scripts/install-deps.sh
	$(MAKE) -C fuzz PG_CONFIG=$(PG_CONFIG) check

fuzz-merge:
	$(MAKE) -C fuzz PG_CONFIG=$(PG_CONFIG) merge

installcheck-preload:
	$(pg_regress_installcheck) $(REGRESS_OPTS) --outputdir=$(PRELOAD_OUTPUTDIR) $(REGRESS_PRELOAD)

# Speed, as ratios against a reference run side by side (harness/bench/bench.sh).
bench:
	bash harness/bench/bench.sh

# Release packaging.  make deb: the Debian packages (postgresql-N-pg-tls-audit
# and pg-tls-probe) for the host's PostgreSQL, or with PG=17|18 built in that
# major's chroot; make dist: the PGXN archive (git archive of HEAD, with a
# META.json made from META.json.in).  Both write to $(DIST_DIR).
DIST_DIR ?= dist
deb:
	bash harness/scripts/deb.sh $(if $(PG),--pg $(PG)) $(DIST_DIR)/deb

dist:
	bash harness/scripts/dist.sh $(DIST_DIR)

# Every client the provider's guide names, with its recommended TLS setting,
# against bad certificates and attackers: installs the clients
# (harness/scripts/install-drivers.sh), then runs "pg_tls_probe drivers" as TAP.
test-drivers: harness
	bash harness/t/test_drivers.sh --environments $(PG_CONFIG)

# pg_tls_audit in a high-availability cluster (doc/patroni.md): three
# PostgreSQL members under Patroni on one etcd node, the library preloaded
# and the policy set through Patroni's configuration, with a switchover.
# Installs what is missing (Patroni and etcd with their services off), builds
# and installs, then runs harness/t/test_patroni.sh.
test-patroni:
	bash harness/scripts/install-deps.sh
	$(MAKE) PG_CONFIG=$(PG_CONFIG) install
	bash harness/t/test_patroni.sh '$(bindir)/pg_tls_probe'

# doc/recipes.md, "the guide, corrected", and the verdicts test-drivers holds
# later runs to, from the JSON reports of the last make test-drivers (both
# environments of one run).
DRIVERS_BUILD = harness/drivers/build
recipes:
	@test -f $(DRIVERS_BUILD)/host.json -a -f $(DRIVERS_BUILD)/current.json || \
		{ echo "make recipes: no reports in $(DRIVERS_BUILD): run make test-drivers first" >&2; exit 2; }
	/usr/bin/python3 harness/recipes/recipes.py --write doc/recipes.md harness/recipes/verdicts.json \
		harness/recipes/claims.json $(DRIVERS_BUILD)/host.json $(DRIVERS_BUILD)/current.json

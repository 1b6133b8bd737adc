/*-------------------------------------------------------------------------
 *
 * report.c
 *		The matrix's reports: a grid per scenario (table), one JSON object
 *		per case (json), or TAP; all three end with the same claim.
 *
 * Output is deterministic for the same results: no timestamps, fixed
 * order.  Colour is used only when asked for (a terminal).
 *
 * harness/report.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "matrix.h"
#include "pg_tls_probe.h"

#define RED		"\033[31m"
#define GREEN	"\033[32m"
#define YELLOW	"\033[33m"
#define BOLD	"\033[1m"
#define RESET	"\033[0m"

static const char *const short_outcomes[OUTCOME_COUNT] = {
	"refused", "plain", "unverif", "chain", "verified"
};

/* Counts behind the closing claim. */
typedef struct Tally
{
	int			cases;
	int			run;
	int			not_run[32];	/* by libpq major needed */
	int			deviations;
	int			findings;
	int			by_outcome[OUTCOME_COUNT];
	int			verify_accepted;	/* verify-ca/verify-full, accepted */
	int			verify_verified;	/* ... and tls-verified */
	int			full_accepted;
	int			full_verified;
	int			insecure;		/* accepted below tls-verified, as expected */
	char		full_unverified[256];	/* scenarios behind full_accepted - full_verified */
	int			attacks;		/* cases run through an attacker proxy */
	int			attacks_accepted;
	int			attacks_accepted_full;	/* ... under sslmode=verify-full */
} Tally;

static bool
accepted(Outcome o)
{
	return o != OUTCOME_REFUSED;
}

static Tally
tally(const Case *cases, int n)
{
	Tally		t;

	memset(&t, 0, sizeof(t));
	t.cases = n;
	for (int i = 0; i < n; i++)
	{
		const Case *c = &cases[i];
		SslMode		mode = c->config.mode;

		if (!c->seen.ran)
		{
			if (c->expect.needs_libpq > 0 && c->expect.needs_libpq < 32)
				t.not_run[c->expect.needs_libpq]++;
			t.deviations += c->deviation;
			continue;
		}
		t.run++;
		t.by_outcome[c->seen.outcome]++;
		if (c->deviation)
			t.deviations++;
		if (c->seen.finding)
			t.findings++;
		if (accepted(c->seen.outcome) && (mode == MODE_VERIFY_CA || mode == MODE_VERIFY_FULL))
		{
			t.verify_accepted++;
			t.verify_verified += c->seen.outcome == OUTCOME_TLS_VERIFIED;
			if (mode == MODE_VERIFY_FULL)
			{
				t.full_accepted++;
				t.full_verified += c->seen.outcome == OUTCOME_TLS_VERIFIED;
				if (c->seen.outcome != OUTCOME_TLS_VERIFIED &&
					strstr(t.full_unverified, c->scenario->name) == NULL)
				{
					if (t.full_unverified[0])
						strlcat(t.full_unverified, ", ", sizeof(t.full_unverified));
					strlcat(t.full_unverified, c->scenario->name, sizeof(t.full_unverified));
				}
			}
		}
		if (accepted(c->seen.outcome) && c->seen.outcome != OUTCOME_TLS_VERIFIED && !c->deviation)
			t.insecure++;
		if (c->scenario->attack != ATTACK_NONE)
		{
			t.attacks++;
			t.attacks_accepted += c->seen.attack_accepted;
			t.attacks_accepted_full += c->seen.attack_accepted && mode == MODE_VERIFY_FULL;
		}
	}
	return t;
}

/*
 * print_summary
 *		The closing lines every format shares (TAP prefixes them with "# ").
 */
static void
print_summary(FILE *out, const Tally *t, const char *prefix, const char *server_view, bool color)
{
	fprintf(out, "%s%d cases: %d run", prefix, t->cases, t->run);
	for (int v = 0; v < 32; v++)
		if (t->not_run[v])
			fprintf(out, ", %d listed as \"needs libpq %d\"", t->not_run[v], v);
	fprintf(out, "; %s%d deviations%s, %d findings\n",
			color && t->deviations ? RED BOLD : "", t->deviations, color && t->deviations ? RESET : "",
			t->findings);
	fprintf(out, "%soutcomes:", prefix);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		fprintf(out, " %s %d%s", outcome_names[o], t->by_outcome[o], o + 1 < OUTCOME_COUNT ? "," : "\n");
	fprintf(out, "%sclaim \"only verified TLS sessions are accepted\": verify-full %d accepted, %d tls-verified",
			prefix, t->full_accepted, t->full_verified);
	if (t->full_accepted == t->full_verified)
		fprintf(out, " (holds)");
	else
		fprintf(out, " (%sdoes not hold%s for %s: libpq matched the host where an RFC 6125 check does not)",
				color ? RED : "", color ? RESET : "", t->full_unverified);
	fprintf(out, "; verify-ca %d accepted, %d tls-verified (verify-ca checks no host name)\n",
			t->verify_accepted - t->full_accepted, t->verify_verified - t->full_verified);
	fprintf(out, "%s%saccepted insecurely, as libpq documents: %d%s (plaintext under disable/allow/prefer, "
			"tls-unverified or tls-chain-verified below verify-full)\n",
			prefix, color ? RED : "", t->insecure, color ? RESET : "");
	if (t->attacks > 0)
		fprintf(out, "%sattacks: %d attempts through attacker proxies, %s%d accepted%s (verify-full: %d)\n",
				prefix, t->attacks, color && t->attacks_accepted ? RED : "", t->attacks_accepted,
				color && t->attacks_accepted ? RESET : "", t->attacks_accepted_full);
	fprintf(out, "%sserver view: %s\n", prefix, server_view);
}

static const char *
outcome_color(Outcome o)
{
	switch (o)
	{
		case OUTCOME_TLS_VERIFIED:
			return GREEN;
		case OUTCOME_TLS_CHAIN_VERIFIED:
			return YELLOW;
		case OUTCOME_REFUSED:
			return "";
		default:
			return RED;
	}
}

/* The case's client configuration without the scenario, for grid rows. */
static char *
config_label(const Case *c)
{
	char	   *full = ptp_case_label(c);
	char	   *space = strchr(full, ' ');
	char	   *label = ptp_strdup(space ? space + 1 : full);

	free(full);
	return label;
}

static void
print_grid_row(FILE *out, const Case *c, bool color)
{
	char	   *label = config_label(c);

	fprintf(out, "  %-62s", label);
	free(label);
	if (!c->seen.ran)
	{
		fprintf(out, " needs libpq %d (not run)%s%s\n", c->expect.needs_libpq,
				c->deviation ? "  DEVIATION: " : "", c->deviation ? c->deviation_reason : "");
		return;
	}
	for (int o = 0; o < OUTCOME_COUNT; o++)
	{
		const char *mark = ".";
		const char *col = "";

		if ((Outcome) o == c->seen.outcome)
		{
			mark = c->deviation ? (color ? "✗" : "X") : (color ? "●" : "*");
			col = c->deviation ? RED BOLD : outcome_color(c->seen.outcome);
		}
		else if ((Outcome) o == c->expect.outcome && c->deviation)
			mark = color ? "○" : "o";
		/* every mark is one column wide, whatever its bytes */
		fprintf(out, " %s%s%s%7s", color ? col : "", mark, color && *col ? RESET : "", "");
	}
	fprintf(out, " %s", c->expect.rule);
	if (c->deviation)
		fprintf(out, "  %sDEVIATION: %s%s", color ? RED : "", c->deviation_reason, color ? RESET : "");
	else if (c->seen.finding)
		fprintf(out, "  FINDING: %s", c->seen.finding);
	else if (c->seen.attack_accepted)
		fprintf(out, "  %sATTACK ACCEPTED%s: the attacker got %s", color ? RED : "", color ? RESET : "",
				c->seen.attacker_got);
	fputc('\n', out);
}

/*
 * print_table
 *		One grid per scenario, scenarios with deviations first; rows are
 *		client configurations, columns outcomes.
 */
static void
print_table(FILE *out, const Case *cases, int n, bool color)
{
	for (int pass = 0; pass < 2; pass++)
	{
		for (int si = 0; si < n_matrix_scenarios; si++)
		{
			const Scenario *s = &matrix_scenarios[si];
			bool		bad = false;
			bool		any = false;

			for (int i = 0; i < n; i++)
				if (cases[i].scenario == s)
				{
					any = true;
					bad |= cases[i].deviation;
				}
			if (!any || bad != (pass == 0))
				continue;

			fprintf(out, "\n%s%s%s: %s (host %s)\n", color ? BOLD : "", s->name, color ? RESET : "",
					s->summary, s->host);
			fprintf(out, "  %-62s", "client configuration");
			for (int o = 0; o < OUTCOME_COUNT; o++)
				fprintf(out, " %-8s", short_outcomes[o]);
			fprintf(out, " rule\n");
			for (int i = 0; i < n; i++)
				if (cases[i].scenario == s)
					print_grid_row(out, &cases[i], color);
		}
	}
	fprintf(out, "\nlegend: %s observed as expected, %s observed against the expectation, %s expected; "
			"columns: refused, plaintext, tls-unverified, tls-chain-verified, tls-verified; "
			"rule: the expectation rule that decided (pg_tls_probe matrix --model)\n\n",
			color ? "●" : "*", color ? "✗" : "X", color ? "○" : "o");
}

/* One cell of the grid: what its cases showed. */
typedef struct Cell
{
	unsigned	outcomes;		/* bit per observed Outcome */
	bool		deviation;
	int			needs_libpq;	/* a case this libpq cannot run */
	bool		any;
} Cell;

#define GRID_COLS	(MODE_COUNT + 1)	/* the sslmodes, then no sslmode */
#define MAX_ROWS	256
#define ROW_CELLS	(ANCHOR_COUNT > GRID_COLS ? ANCHOR_COUNT : GRID_COLS)

typedef struct Grid
{
	char	   *rows[MAX_ROWS];
	Cell		cells[MAX_ROWS][ROW_CELLS];
	int			n_rows;
} Grid;

/*
 * Folded grids wrap the names of a line's rows at this column, or further
 * right when the cells leave less than FOLD_NAMES columns for the names.
 */
#define FOLD_WIDTH	132
#define FOLD_NAMES	48

static const char glyphs[OUTCOME_COUNT] = {'-', 'P', 'U', 'C', 'V'};

/* The case's options after its anchor ("" for none), malloc'd. */
static char *
options_label(const Case *c)
{
	char	   *full = ptp_case_label(c);
	char	   *anchor = strstr(full, " anchor=");
	char	   *rest = anchor ? strchr(anchor + 1, ' ') : NULL;
	char	   *label = ptp_strdup(rest ? rest : "");

	free(full);
	return label;
}

static Cell *
grid_cell(Grid *g, const char *row, int col)
{
	int			r;

	for (r = 0; r < g->n_rows; r++)
		if (strcmp(g->rows[r], row) == 0)
			break;
	if (r == g->n_rows)
	{
		if (g->n_rows == MAX_ROWS)
			return NULL;
		g->rows[g->n_rows++] = ptp_strdup(row);
	}
	return &g->cells[r][col];
}

static void
cell_add(Cell *cell, const Case *c)
{
	if (cell == NULL)
		return;
	cell->any = true;
	cell->deviation |= c->deviation;
	if (c->seen.ran)
		cell->outcomes |= 1u << c->seen.outcome;
	else
		cell->needs_libpq = c->expect.needs_libpq;
}

/*
 * print_cell
 *		One glyph: the outcome its cases share, '*' when they disagree, '^'
 *		when this libpq cannot run them, '.' for no case; then '!' for a
 *		deviation, else a space.
 */
static void
print_cell(FILE *out, const Cell *cell, bool color, int width)
{
	char		glyph = '.';
	const char *col = "";
	int			n = 0;
	int			only = 0;

	for (int o = 0; o < OUTCOME_COUNT; o++)
		if (cell->outcomes & (1u << o))
		{
			n++;
			only = o;
		}
	if (n == 1)
	{
		glyph = glyphs[only];
		col = outcome_color((Outcome) only);
	}
	else if (n > 1)
	{
		glyph = '*';
		col = BOLD;
	}
	else if (cell->needs_libpq)
		glyph = '^';
	if (cell->deviation)
		col = RED BOLD;
	fprintf(out, "%*s%s%c%s%c", width - 2, "", color && *col ? col : "", glyph,
			color && *col ? RESET : "", cell->deviation ? '!' : ' ');
}

static void
free_grid(Grid *g)
{
	for (int r = 0; r < g->n_rows; r++)
		free(g->rows[r]);
}

/* Whether two cells show the same: the same outcomes, or the same "cannot run". */
static bool
cell_equal(const Cell *x, const Cell *y)
{
	return x->any == y->any && x->outcomes == y->outcomes &&
		x->deviation == y->deviation && x->needs_libpq == y->needs_libpq;
}

/* Whether any cell of the row shows a deviation. */
static bool
row_deviates(const Cell *row)
{
	for (int k = 0; k < ROW_CELLS; k++)
		if (row[k].deviation)
			return true;
	return false;
}

/*
 * fold_rows
 *		Sets group[r] to the first row whose cells (the columns in cols)
 *		are all equal to row r's, r itself for the first of its group.  A
 *		row with a deviation is a group of its own, so that it is never
 *		hidden among rows that behaved as expected.
 */
static void
fold_rows(const Grid *g, const int *cols, int n_cols, int *group)
{
	for (int r = 0; r < g->n_rows; r++)
	{
		group[r] = r;
		if (row_deviates(g->cells[r]))
			continue;
		for (int q = 0; q < r; q++)
		{
			bool		same = group[q] == q &&
				!row_deviates(g->cells[q]);

			for (int k = 0; k < n_cols && same; k++)
				same = cell_equal(&g->cells[q][cols[k]], &g->cells[r][cols[k]]);
			if (same)
			{
				group[r] = q;
				break;
			}
		}
	}
}

/*
 * print_folded
 *		One line per group of rows that behave alike: the cells, then the
 *		rows' names, wrapped under one another.  Columns listed together in
 *		one heading (names[k] joined with "=") show one cell.
 */
static void
print_folded(FILE *out, const Grid *g, const char *what, const int *cols, char **names,
			 int n_cols, bool color)
{
	int		   *group = ptp_malloc0(g->n_rows * sizeof(int));
	int			indent = 0;
	int			wrap;

	fold_rows(g, cols, n_cols, group);
	fputc('\n', out);
	for (int k = 0; k < n_cols; k++)
	{
		fprintf(out, " %s", names[k]);
		indent += 1 + (int) strlen(names[k]);
	}
	fprintf(out, "  %s\n", what);
	indent += 2;
	wrap = Max(FOLD_WIDTH, indent + FOLD_NAMES);
	for (int r = 0; r < g->n_rows; r++)
	{
		int			col = indent;
		bool		first = true;

		if (group[r] != r)
			continue;
		for (int k = 0; k < n_cols; k++)
			print_cell(out, &g->cells[r][cols[k]], color, (int) strlen(names[k]) + 1);
		fputs("  ", out);
		for (int q = r; q < g->n_rows; q++)
		{
			int			len = (int) strlen(g->rows[q]) + (first ? 0 : 2);

			if (group[q] != r)
				continue;
			if (!first && col + len > wrap)
			{
				fprintf(out, ",\n%*s", indent, "");
				col = indent;
				len -= 2;
			}
			else if (!first)
				fputs(", ", out);
			fputs(g->rows[q], out);
			col += len;
			first = false;
		}
		fputc('\n', out);
	}
	free(group);
}

/*
 * print_grids
 *		The default table: one row per scenario (and option set), one column
 *		per sslmode with the right CA (disable: no anchor); then, at
 *		verify-full, one column per other trust anchor.  Folded (the
 *		default), rows that behave alike share a line, and so do anchors;
 *		--full prints a row per scenario and a column per anchor.
 */
static void
print_grids(FILE *out, const Case *cases, int n, const Tally *t, bool color, int libpq_major,
			bool fold)
{
	static const char *const col_names[GRID_COLS] = {
		"disable", "allow", "prefer", "require", "verify-ca", "verify-full", "unset"
	};
	Grid	   *g = ptp_malloc0(sizeof(Grid));
	Grid	   *a = ptp_malloc0(sizeof(Grid));
	Grid	   *shown = ptp_malloc0(sizeof(Grid));
	int			width = 36;

	for (int i = 0; i < n; i++)
	{
		const Case *c = &cases[i];
		const ClientConfig *cfg = &c->config;
		char	   *opts = options_label(c);
		char	   *row = ptp_psprintf("%s%s", c->scenario->name, opts);

		if ((int) strlen(row) > width)
			width = (int) strlen(row);
		if (c->scenario->start_failure != START_OK)
			cell_add(grid_cell(g, row, 0), c);
		else if (cfg->anchor == ANCHOR_RIGHT || (cfg->mode == MODE_DISABLE && cfg->anchor == ANCHOR_NONE))
			cell_add(grid_cell(g, row, cfg->mode_unset ? MODE_COUNT : (int) cfg->mode), c);
		else if (cfg->mode == MODE_VERIFY_FULL && !cfg->mode_unset && opts[0] == '\0')
			cell_add(grid_cell(a, c->scenario->name, cfg->anchor), c);
		free(opts);
		free(row);
	}

	/* scenarios run with no other anchor say nothing new in the second grid */
	for (int r = 0; r < a->n_rows; r++)
	{
		bool		more = false;

		for (int k = ANCHOR_WRONG; k < ANCHOR_COUNT; k++)
			more |= a->cells[r][k].any;
		if (more)
		{
			shown->rows[shown->n_rows] = a->rows[r];
			memcpy(shown->cells[shown->n_rows++], a->cells[r], sizeof(a->cells[r]));
		}
	}

	if (fold)
	{
		int			cols[ANCHOR_COUNT];
		char	   *names[ANCHOR_COUNT];
		int			n_cols = 0;

		for (int m = 0; m < GRID_COLS; m++)
		{
			cols[m] = m;
			names[m] = (char *) col_names[m];
		}
		print_folded(out, g, "scenarios (right CA; disable: none)", cols, names, GRID_COLS, color);

		/* anchors whose cells are equal in every row share a column */
		for (int k = 0; k < ANCHOR_COUNT; k++)
		{
			int			same_as = -1;

			if (k == ANCHOR_RIGHT)
				continue;
			for (int j = 0; j < n_cols && same_as < 0; j++)
			{
				bool		same = true;

				for (int r = 0; r < shown->n_rows && same; r++)
					same = cell_equal(&shown->cells[r][cols[j]], &shown->cells[r][k]);
				if (same)
					same_as = j;
			}
			if (same_as >= 0)
			{
				char	   *joined = ptp_psprintf("%s=%s", names[same_as], anchor_names[k]);

				free(names[same_as]);
				names[same_as] = joined;
				continue;
			}
			cols[n_cols] = k;
			names[n_cols++] = ptp_strdup(anchor_names[k]);
		}
		print_folded(out, shown, "scenarios (verify-full)", cols, names, n_cols, color);
		for (int j = 0; j < n_cols; j++)
			free(names[j]);
	}
	else
	{
		fprintf(out, "\n%-*s", width, "scenario (right CA; disable: none)");
		for (int m = 0; m < GRID_COLS; m++)
			fprintf(out, " %10s", col_names[m]);
		fputc('\n', out);
		for (int r = 0; r < g->n_rows; r++)
		{
			fprintf(out, "%-*s", width, g->rows[r]);
			for (int m = 0; m < GRID_COLS; m++)
				print_cell(out, &g->cells[r][m], color, 11);
			fputc('\n', out);
		}

		fprintf(out, "\n%-*s", width, "scenario (verify-full)");
		for (int k = 0; k < ANCHOR_COUNT; k++)
			if (k != ANCHOR_RIGHT)
				fprintf(out, " %*s", k == ANCHOR_BUNDLE_REVERSED ? 22 : 13, anchor_names[k]);
		fputc('\n', out);
		for (int r = 0; r < shown->n_rows; r++)
		{
			fprintf(out, "%-*s", width, shown->rows[r]);
			for (int k = 0; k < ANCHOR_COUNT; k++)
				if (k != ANCHOR_RIGHT)
					print_cell(out, &shown->cells[r][k], color, k == ANCHOR_BUNDLE_REVERSED ? 23 : 14);
			fputc('\n', out);
		}
	}
	fprintf(out, "\nlegend: V tls-verified, C tls-chain-verified, U tls-unverified, P plaintext, - refused, "
			"* the cell's cases disagree (see --details), ^ not supported by libpq %d, . no case; "
			"! a deviation from the expectation model%s\n", libpq_major,
			fold ? "; a=b: columns a and b show the same in every row" : "");
	fprintf(out, "%sdeviations: %d%s; %sinsecure acceptances (as documented): %d%s; %sper-case table: --details\n\n",
			color && t->deviations ? RED BOLD : "", t->deviations, color && t->deviations ? RESET : "",
			color ? RED : "", t->insecure, color ? RESET : "",
			fold ? "a row per scenario: --full; " : "");
	free_grid(g);
	free_grid(a);
	free(g);
	free(a);
	free(shown);
}

static void
print_json(FILE *out, const Case *cases, int n)
{
	fputs("[\n", out);
	for (int i = 0; i < n; i++)
	{
		const Case *c = &cases[i];
		const ClientConfig *cfg = &c->config;

		fprintf(out, "  {\"id\": %d, \"scenario\": ", c->id);
		ptp_json_string(out, c->scenario->name);
		fputs(", \"host\": ", out);
		ptp_json_string(out, c->scenario->host);
		fprintf(out, ", \"sslmode\": \"%s\", \"anchor\": \"%s\", \"channel_binding\": \"%s\", "
				"\"client_cert\": \"%s\", \"crl\": \"%s\", \"sslnegotiation\": \"%s\", ",
				mode_names[cfg->mode], anchor_names[cfg->anchor],
				cfg->channel_binding ? "require" : "disable", ccert_names[cfg->ccert],
				crl_names[cfg->crl], cfg->direct ? "direct" : "postgres");
		fprintf(out, "\"rule\": \"%s\", ", c->expect.rule);
		if (!c->seen.ran)
		{
			fprintf(out, "\"expected\": null, \"observed\": null, \"needs_libpq\": %d}%s\n",
					c->expect.needs_libpq, i + 1 < n ? "," : "");
			continue;
		}
		fprintf(out, "\"expected\": \"%s\", \"expected_reason\": ", outcome_names[c->expect.outcome]);
		ptp_json_string(out, c->expect.reason);
		fprintf(out, ", \"observed\": \"%s\", \"error\": ", outcome_names[c->seen.outcome]);
		ptp_json_string(out, c->seen.error);
		fputs(", \"protocol\": ", out);
		ptp_json_string(out, c->seen.protocol);
		fputs(", \"client_fingerprint\": ", out);
		ptp_json_string(out, c->seen.fingerprint);
		fputs(", \"server_fingerprint\": ", out);
		ptp_json_string(out, c->seen.server_fingerprint);
		fputs(", \"server_source\": ", out);
		ptp_json_string(out, c->seen.server_source);
		fputs(", \"finding\": ", out);
		ptp_json_string(out, c->seen.finding);
		fputs(", \"attack\": ", out);
		ptp_json_string(out, c->scenario->attack != ATTACK_NONE ? c->scenario->name : NULL);
		if (c->scenario->attack != ATTACK_NONE)
		{
			fprintf(out, ", \"attack_accepted\": %s, \"attack_expected_accepted\": %s, \"attacker_got\": ",
					c->seen.attack_accepted ? "true" : "false",
					c->expect.attack_accepted ? "true" : "false");
			ptp_json_string(out, c->seen.attacker_got);
			fputs(", \"server_view_differs\": ", out);
			ptp_json_string(out, c->seen.server_differs);
		}
		fprintf(out, ", \"deviation\": %s, \"deviation_reason\": ", c->deviation ? "true" : "false");
		ptp_json_string(out, c->deviation_reason);
		fprintf(out, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]\n", out);
}

static void
print_tap(FILE *out, const Case *cases, int n, const Tally *t, const char *server_view)
{
	int			passed = 0,
				failed = 0,
				skipped = 0;

	fprintf(out, "1..%d\n", n);
	for (int i = 0; i < n; i++)
	{
		const Case *c = &cases[i];
		char	   *label = ptp_case_label(c);

		if (c->deviation)
		{
			fprintf(out, "not ok %d - %s: %s\n", i + 1, label,
					c->seen.ran ? outcome_names[c->seen.outcome] : "not run");
			fprintf(out, "# %s\n", c->deviation_reason);
			failed++;
		}
		else if (!c->seen.ran)
		{
			fprintf(out, "ok %d - %s # SKIP needs libpq %d\n", i + 1, label, c->expect.needs_libpq);
			skipped++;
		}
		else
		{
			fprintf(out, "ok %d - %s: %s (%s)\n", i + 1, label, outcome_names[c->seen.outcome], c->expect.rule);
			passed++;
		}
		free(label);
	}
	print_summary(out, t, "# ", server_view, false);
	fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
}

/*
 * ptp_report
 *		Writes the results in the requested format, with the closing claim.
 */
void
ptp_report(FILE *out, ReportFormat format, Case *cases, int n_cases,
		   int libpq_major, const char *server_view, bool color)
{
	Tally		t = tally(cases, n_cases);

	switch (format)
	{
		case FORMAT_TABLE:
		case FORMAT_FULL:
			print_grids(out, cases, n_cases, &t, color, libpq_major, format == FORMAT_TABLE);
			fprintf(out, "libpq %d\n", libpq_major);
			print_summary(out, &t, "", server_view, color);
			break;
		case FORMAT_DETAILS:
			print_table(out, cases, n_cases, color);
			fprintf(out, "libpq %d\n", libpq_major);
			print_summary(out, &t, "", server_view, color);
			break;
		case FORMAT_JSON:
			print_json(out, cases, n_cases);
			break;
		case FORMAT_TAP:
			print_tap(out, cases, n_cases, &t, server_view);
			break;
	}
}

/*
 * ptp_report_list
 *		--list: the pruning rules, then every case with its expectation.
 */
void
ptp_report_list(FILE *out, const Case *cases, int n_cases)
{
	fprintf(out, "Pruning rules:\n");
	for (int i = 0; pruning_rules[i] != NULL; i++)
		fprintf(out, "  %s\n", pruning_rules[i]);
	fprintf(out, "\nCategories of PostgreSQL's src/test/ssl/t/001_ssltests.pl and the cases covering them:\n");
	for (const SuiteCategory *cat = ssl_suite_categories; cat->name != NULL; cat++)
	{
		int			count = 0;

		for (int i = 0; i < n_cases; i++)
			count += ptp_case_matches(&cases[i], cat->filter);
		fprintf(out, "  %s: %d case%s", cat->name, count, count == 1 ? "" : "s");
		for (int i = 0, shown = 0; i < n_cases; i++)
			if (ptp_case_matches(&cases[i], cat->filter) && shown++ < 12)
				fprintf(out, "%s%d", shown == 1 ? " (" : " ", cases[i].id);
		fprintf(out, "%s\n", count > 12 ? " ...)" : count > 0 ? ")" : "");
	}
	fprintf(out, "\n%d cases:\n", n_cases);
	for (int i = 0; i < n_cases; i++)
	{
		char	   *label = ptp_case_label(&cases[i]);

		if (cases[i].expect.needs_libpq)
			fprintf(out, "%4d  %-86s needs libpq %d\n", cases[i].id, label, cases[i].expect.needs_libpq);
		else
			fprintf(out, "%4d  %-86s %s (%s)\n", cases[i].id, label,
					outcome_names[cases[i].expect.outcome], cases[i].expect.rule);
		free(label);
	}
}

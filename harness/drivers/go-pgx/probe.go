// The Go pgx probe.  The guide's two Go snippets are swapped: its "Go/pgx"
// section opens lib/pq's sql.Open("postgres") and its "Go/pq" section calls
// pgx.Connect.  This probe runs the pgx one, quoted literally from the
// guide's pq section:
//   connString := "postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=verify-full"
//   conn, err := pgx.Connect(context.Background(), connString)
// It is pgx v4 (Debian's golang-github-jackc-pgx-v4-dev); the guide names no
// major version.  application_name and connect_timeout are appended so that
// an attacker proxy can tell this probe's startup from the others' and a
// silent peer cannot hang it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v4"
)

// Version of golang-github-jackc-pgx-v4-dev; install-drivers.sh passes it
// with -ldflags -X.
var libraryVersion = "unknown"

func report(row []interface{}, err error) {
	out := map[string]interface{}{
		"connected": row != nil, "server_ssl": nil, "server_tls_version": nil,
		"server_cipher": nil, "error": nil, "version": "pgx " + libraryVersion, "libpq": nil,
	}
	if row != nil {
		out["server_ssl"], out["server_tls_version"], out["server_cipher"] = row[0], row[1], row[2]
	}
	if err != nil {
		out["error"] = strings.Join(strings.Fields(err.Error()), " ")
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func main() {
	e := os.Getenv
	// PTP_VARIANT recipe: the guide's sslmode=verify-full, which is also
	// the hardened recipe (pgx 4 has no channel binding to require);
	// hardened-cb: that and channel_binding=require (pgx 5.9 and later);
	// generic: the guide's generic string; default: none.
	tls := map[string]string{
		"default":     "",
		"generic":     "sslmode=verify-full&sslrootcert=system&",
		"hardened-cb": "sslmode=verify-full&channel_binding=require&",
	}[os.Getenv("PTP_VARIANT")]
	if tls == "" && os.Getenv("PTP_VARIANT") != "default" {
		tls = "sslmode=verify-full&"
	}
	connString := fmt.Sprintf("postgresql://%s:%s@%s:%s/%s?%sapplication_name=%s&connect_timeout=%s",
		e("PTP_USER"), e("PTP_PASSWORD"), e("PTP_HOST"), e("PTP_PORT"), e("PTP_DBNAME"),
		tls, e("PTP_APPNAME"), e("PTP_TIMEOUT"))
	conn, err := pgx.Connect(context.Background(), connString)
	if err != nil {
		report(nil, err)
		return
	}
	defer conn.Close(context.Background())
	var ssl bool
	var version, cipher *string
	err = conn.QueryRow(context.Background(),
		"SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &version, &cipher)
	if err != nil {
		report(nil, err)
		return
	}
	report([]interface{}{ssl, version, cipher}, nil)
}

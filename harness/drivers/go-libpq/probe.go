// The Go lib/pq probe.  The guide's two Go snippets are swapped: its "Go/pq"
// section connects with pgx.Connect and its "Go/pgx" section with
// sql.Open("postgres"), which is lib/pq's driver name.  This probe runs the
// lib/pq one, quoted literally from the guide's pgx section:
//   connString := "postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=verify-full"
//   db, err := sql.Open("postgres", connString)
// application_name and connect_timeout are appended so that an attacker
// proxy can tell this probe's startup from the others' and a silent peer
// cannot hang it.
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	_ "github.com/lib/pq"
)

// Version of golang-github-lib-pq-dev, which has no version constant of its
// own; install-drivers.sh passes it with -ldflags -X.
var libraryVersion = "unknown"

func report(row []interface{}, err error) {
	out := map[string]interface{}{
		"connected": row != nil, "server_ssl": nil, "server_tls_version": nil,
		"server_cipher": nil, "error": nil, "version": "lib/pq " + libraryVersion, "libpq": nil,
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
	// the hardened recipe (the client has no channel binding to require);
	// generic: the guide's generic string; default: none.
	tls := map[string]string{
		"default": "",
		"generic": "sslmode=verify-full&sslrootcert=system&",
	}[os.Getenv("PTP_VARIANT")]
	if tls == "" && os.Getenv("PTP_VARIANT") != "default" {
		tls = "sslmode=verify-full&"
	}
	connString := fmt.Sprintf("postgresql://%s:%s@%s:%s/%s?%sapplication_name=%s&connect_timeout=%s",
		e("PTP_USER"), e("PTP_PASSWORD"), e("PTP_HOST"), e("PTP_PORT"), e("PTP_DBNAME"),
		tls, e("PTP_APPNAME"), e("PTP_TIMEOUT"))
	db, err := sql.Open("postgres", connString)
	if err != nil {
		report(nil, err)
		return
	}
	defer db.Close()
	var ssl bool
	var version, cipher sql.NullString
	err = db.QueryRow("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &version, &cipher)
	if err != nil {
		report(nil, err)
		return
	}
	report([]interface{}{ssl, version.String, cipher.String}, nil)
}

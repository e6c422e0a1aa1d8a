// Package migrations holds kefu's schema as forward-only SQL files,
// applied in name order by store.Migrate.
package migrations

import "embed"

// FS holds every NNNN_name.sql file.
//
//go:embed *.sql
var FS embed.FS

package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// catalogIDs returns the message ids of lang's catalog, sorted.
func catalogIDs(lang string) ([]string, error) {
	files, err := fs.Glob(catalogs, "catalog/*.json")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".json")
		if name != lang && !strings.HasSuffix(name, "."+lang) {
			continue
		}
		b, err := catalogs.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", f, err)
		}
		for id := range raw {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

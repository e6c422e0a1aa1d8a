package i18n

import (
	"encoding/json"
	"fmt"
	"slices"
)

// catalogIDs returns the message ids of lang's catalog, sorted.
func catalogIDs(lang string) ([]string, error) {
	b, err := catalogs.ReadFile("catalog/" + lang + ".json")
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", lang, err)
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

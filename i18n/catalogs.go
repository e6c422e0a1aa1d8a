package i18n

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// catalog returns lang's catalog: each message, by id, as its file has it.
func catalog(lang string) (map[string]json.RawMessage, error) {
	b, err := catalogs.ReadFile("catalog/" + lang + ".json")
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", lang, err)
	}
	return raw, nil
}

// catalogIDs returns the message ids of lang's catalog, sorted.
func catalogIDs(lang string) ([]string, error) {
	raw, err := catalog(lang)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// plainMessages returns the messages of lang's catalog that are plain
// strings: neither a template ({{…}}) nor plural forms. Any other message
// maps to "".
func plainMessages(lang string) (map[string]string, error) {
	raw, err := catalog(lang)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for id, v := range raw {
		var text string
		if json.Unmarshal(v, &text) == nil && !strings.Contains(text, "{{") {
			out[id] = text
		} else {
			out[id] = ""
		}
	}
	return out, nil
}

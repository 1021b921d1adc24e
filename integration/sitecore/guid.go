package sitecore

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// parseID parses a GUID in any spelling that Sitecore clients send: braced
// upper case ("{34A57BFF-170C-4281-B00E-3F437AB83F0C}"), dashed lower case
// or 32 hex digits. Letter case never matters.
func parseID(s string) (uuid.UUID, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		return uuid.Nil, fmt.Errorf("invalid ID %q: expected a GUID such as {110D559F-DEA5-42EA-9C1C-8A5DF7E70EF9}", s)
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("invalid ID %q: expected a GUID such as {110D559F-DEA5-42EA-9C1C-8A5DF7E70EF9}", s)
	}
	return id, nil
}

// mustID parses one of the package's own GUID constants.
func mustID(s string) uuid.UUID {
	id, err := parseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// braced formats id as Sitecore's ID.ToString() does, in braces and upper
// case. Raw field values such as __Workflow state use this form.
func braced(id uuid.UUID) string {
	return "{" + strings.ToUpper(id.String()) + "}"
}

// formatGUID formats id with a .NET Guid format specifier: "N" is 32 lower-case
// hex digits, "D" the dashed form, "B" the dashed form in braces and "P" in
// parentheses, as Guid.ToString(format) writes them.
func formatGUID(id uuid.UUID, format string) string {
	switch strings.ToUpper(format) {
	case "D":
		return id.String()
	case "B":
		return "{" + id.String() + "}"
	case "P":
		return "(" + id.String() + ")"
	default:
		return strings.ReplaceAll(id.String(), "-", "")
	}
}

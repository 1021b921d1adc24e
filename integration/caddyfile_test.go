package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exampleEnv are the environment variables the WordPress example reads.
var exampleEnv = []string{
	"SEARCH_WEBHOOK_USER=search",
	"SEARCH_WEBHOOK_PASSWORD=example-secret",
	"SEARCH_WEBHOOK_URL=http://127.0.0.1:9100/search",
	"LEGAL_WEBHOOK_URL=http://127.0.0.1:9100/legal",
	"REVIEW_WEBHOOK_URL=http://127.0.0.1:9100/review",
	"WORDPRESS_UPSTREAM=127.0.0.1:9101",
	"SIDECAR_PORT=9102",
}

// The WordPress example adapts to JSON in which the cms_webhooks handler
// runs before reverse_proxy, and Caddy accepts the result.
func TestWordPressExampleAdapts(t *testing.T) {
	path := filepath.Join(repoRoot, "caddyfile-examples", "wordpress.Caddyfile")
	out, err := runCaddy(t, exampleEnv, "adapt", "--config", path, "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, out)
	}
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("caddy adapt printed no JSON:\n%s", out)
	}
	var config any
	dec := json.NewDecoder(strings.NewReader(out[start:]))
	if err := dec.Decode(&config); err != nil {
		t.Fatalf("caddy adapt output is not JSON: %v\n%s", err, out)
	}

	var handlers []string
	var cms map[string]any
	walkHandlers(config, func(h map[string]any) {
		name, _ := h["handler"].(string)
		handlers = append(handlers, name)
		if name == "cms_webhooks" {
			cms = h
		}
	})
	i, j := slices.Index(handlers, "cms_webhooks"), slices.Index(handlers, "reverse_proxy")
	if i < 0 || j < 0 || i > j {
		t.Fatalf("handlers in order %v, want cms_webhooks before reverse_proxy", handlers)
	}
	for _, key := range []string{"workflows", "event_handlers", "validation_actions", "submit_actions", "authorizations"} {
		if cms[key] == nil {
			t.Errorf("cms_webhooks handler has no %s: %v", key, cms)
		}
	}
	if strings.Contains(out, "example-secret") {
		t.Errorf("the adapted JSON contains the password from the environment; it should keep the {env.*} placeholder")
	}
	if !strings.Contains(out, "http://127.0.0.1:9100/legal") {
		t.Errorf("the adapted JSON lacks the validation URL from LEGAL_WEBHOOK_URL")
	}

	out, err = runCaddy(t, exampleEnv, "validate", "--config", path, "--adapter", "caddyfile")
	if err != nil {
		t.Errorf("caddy validate: %v\n%s", err, out)
	}
}

// walkHandlers calls fn for every object with a "handler" member, depth
// first. Handlers sit in "handle" and "routes" arrays, in the order Caddy
// runs them. No object here has handlers under two keys, so the order of
// object keys does not matter.
func walkHandlers(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["handler"].(string); ok {
			fn(x)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkHandlers(x[k], fn)
		}
	case []any:
		for _, c := range x {
			walkHandlers(c, fn)
		}
	}
}

// brokenTemplate is a valid Caddyfile with three marked lines. Each case of
// TestBrokenCaddyfileNamesLine puts its bad value on one of them.
const brokenTemplate = `{
	admin off
}

:9103 {
	cms_webhooks {
		workflow editorial {
			state pending
			state publish final
			command approve pending publish
		}
		validation_action legal {
			command approve
			url http://127.0.0.1:9104/
			ON_ERROR
		}
		event_handler search {
			EVENTS
			URL
		}
	}
	reverse_proxy 127.0.0.1:9105
}
`

// A Caddyfile with a bad cms_webhooks value fails to load with an error
// that names the file, the line and the value.
func TestBrokenCaddyfileNamesLine(t *testing.T) {
	valid := map[string]string{
		"ON_ERROR": "on_error block",
		"EVENTS":   "events item:saved",
		"URL":      "url http://127.0.0.1:9104/",
	}
	cases := []struct {
		name, marker, line, value string
	}{
		{"on_error maybe", "ON_ERROR", "on_error maybe", "maybe"},
		{"unknown event", "EVENTS", "events item:saved item:created", "item:created"},
		{"ftp url", "URL", "url ftp://127.0.0.1/hook", "ftp://127.0.0.1/hook"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(brokenTemplate, "\n")
			bad := 0
			for i, l := range lines {
				for marker, good := range valid {
					if strings.TrimSpace(l) != marker {
						continue
					}
					if marker == tc.marker {
						good, bad = tc.line, i+1
					}
					lines[i] = strings.Replace(l, marker, good, 1)
				}
			}
			file := filepath.Join(t.TempDir(), "broken.Caddyfile")
			if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}

			for _, cmd := range []string{"adapt", "validate"} {
				out, err := runCaddy(t, nil, cmd, "--config", file, "--adapter", "caddyfile")
				if err == nil {
					t.Errorf("caddy %s accepted the file:\n%s", cmd, out)
					continue
				}
				where := file + ":" + strconv.Itoa(bad)
				if !strings.Contains(out, where) {
					t.Errorf("caddy %s output does not name %s:\n%s", cmd, where, out)
				}
				if !strings.Contains(out, tc.value) {
					t.Errorf("caddy %s output does not quote %q:\n%s", cmd, tc.value, out)
				}
			}
		})
	}
}

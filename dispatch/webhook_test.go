package dispatch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPrepareDefaultIDIsStable(t *testing.T) {
	prepare := func(kind Kind, name string) string {
		t.Helper()
		wh := &Webhook{Name: name, URL: "https://receiver.example/hook"}
		switch kind {
		case KindEventHandler:
			wh.Events = []string{EventItemSaved}
		case KindSubmitAction, KindValidationAction:
			wh.Command = "Publish"
		}
		if err := wh.Prepare(kind, nil); err != nil {
			t.Fatalf("Prepare %s %q: %v", kind, name, err)
		}
		return wh.ID
	}

	first := prepare(KindEventHandler, "Search index refresh")
	again := prepare(KindEventHandler, "Search index refresh")
	otherName := prepare(KindEventHandler, "Sitemap sync")
	submit := prepare(KindSubmitAction, "Search index refresh")
	validation := prepare(KindValidationAction, "Search index refresh")

	if !payloadGUID.MatchString(first) {
		t.Errorf("default id %q is not a lower-case dashed GUID", first)
	}
	if first != again {
		t.Errorf("same kind and name gave ids %q and %q, want one stable id", first, again)
	}
	if first == otherName {
		t.Errorf("different names share the id %q", first)
	}
	if first == submit || first == validation || submit == validation {
		t.Errorf("different kinds share an id: event handler %q, submit action %q, validation action %q", first, submit, validation)
	}
}

func TestPrepareNormalisesCustomID(t *testing.T) {
	const want = "7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37"
	spellings := []string{
		"{7F2EDC0D-AAA5-4D61-A07A-CD0B677BCD37}",
		"7F2EDC0D-AAA5-4D61-A07A-CD0B677BCD37",
		"7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37",
		"7F2EDC0DAAA54D61A07ACD0B677BCD37",
	}
	for _, id := range spellings {
		wh := &Webhook{Name: "Search index refresh", ID: id, URL: "https://receiver.example/hook", Events: []string{EventItemSaved}}
		if err := wh.Prepare(KindEventHandler, nil); err != nil {
			t.Errorf("Prepare with id %q: %v", id, err)
			continue
		}
		if wh.ID != want {
			t.Errorf("id %q became %q, want %q", id, wh.ID, want)
		}
	}
}

func TestPrepareFillsDefaults(t *testing.T) {
	wh := &Webhook{Name: "Search index refresh", URL: "http://127.0.0.1:8080/hook", Events: []string{EventItemSaved}}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}

	if wh.Kind != KindEventHandler {
		t.Errorf("Kind = %q, want %q", wh.Kind, KindEventHandler)
	}
	if wh.Serialization != "json" {
		t.Errorf("Serialization = %q, want json", wh.Serialization)
	}
	if time.Duration(wh.Timeout) != 10*time.Second {
		t.Errorf("Timeout = %s, want 10s", time.Duration(wh.Timeout))
	}
}

func TestPrepareRejectsInvalidWebhooks(t *testing.T) {
	auths := map[string]*Authorization{"receiver basic": {Type: "basic", Username: "hooks", Password: "s3cret"}}
	tests := []struct {
		name     string
		kind     Kind
		webhook  Webhook
		wantText []string
	}{
		{
			name:     "missing name",
			kind:     KindEventHandler,
			webhook:  Webhook{URL: "https://receiver.example/hook", Events: []string{EventItemSaved}},
			wantText: []string{"missing name"},
		},
		{
			name:     "ftp url scheme",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "ftp://x", Events: []string{EventItemSaved}},
			wantText: []string{`"search"`, `url "ftp://x"`, "scheme must be http or https"},
		},
		{
			name:     "url without scheme",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "receiver.example/hook", Events: []string{EventItemSaved}},
			wantText: []string{`url "receiver.example/hook"`, "scheme must be http or https"},
		},
		{
			name:     "missing url",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", Events: []string{EventItemSaved}},
			wantText: []string{`"search"`, "missing url"},
		},
		{
			name:     "url without host",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https:///hook", Events: []string{EventItemSaved}},
			wantText: []string{`"https:///hook"`, "missing host"},
		},
		{
			name:     "invalid custom id",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", ID: "search-1", URL: "https://receiver.example/hook", Events: []string{EventItemSaved}},
			wantText: []string{`"search-1"`},
		},
		{
			name:     "unknown event item:created",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook", Events: []string{"item:created"}},
			wantText: []string{`"item:created"`, "item:added"},
		},
		{
			name:     "wrong event casing",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook", Events: []string{"item:versionadded"}},
			wantText: []string{`"item:versionadded"`},
		},
		{
			name:     "event handler without events",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook"},
			wantText: []string{`"search"`, "no events"},
		},
		{
			name:     "unknown serialization",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook", Events: []string{EventItemSaved}, Serialization: "yaml"},
			wantText: []string{`"yaml"`, "json or xml"},
		},
		{
			name:     "undefined authorization",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook", Events: []string{EventItemSaved}, Authorization: "receiver oauth"},
			wantText: []string{`"receiver oauth"`, "not defined"},
		},
		{
			name:     "negative timeout",
			kind:     KindEventHandler,
			webhook:  Webhook{Name: "search", URL: "https://receiver.example/hook", Events: []string{EventItemSaved}, Timeout: Duration(-time.Second)},
			wantText: []string{"timeout"},
		},
		{
			name:     "validation action without command",
			kind:     KindValidationAction,
			webhook:  Webhook{Name: "alt texts", URL: "https://receiver.example/validate"},
			wantText: []string{`"alt texts"`, "missing command"},
		},
		{
			name:     "validation action with events",
			kind:     KindValidationAction,
			webhook:  Webhook{Name: "alt texts", URL: "https://receiver.example/validate", Command: "Publish", Events: []string{EventItemSaved}},
			wantText: []string{"events and rules"},
		},
		{
			name:     "submit action with command and state",
			kind:     KindSubmitAction,
			webhook:  Webhook{Name: "notify", URL: "https://receiver.example/notify", Command: "Publish", State: "published"},
			wantText: []string{`"notify"`, "exactly one of command and state"},
		},
		{
			name:     "submit action with neither",
			kind:     KindSubmitAction,
			webhook:  Webhook{Name: "notify", URL: "https://receiver.example/notify"},
			wantText: []string{"exactly one of command and state"},
		},
		{
			name:     "unknown on_error",
			kind:     KindValidationAction,
			webhook:  Webhook{Name: "alt texts", URL: "https://receiver.example/validate", Command: "Publish", OnError: "ignore"},
			wantText: []string{`"ignore"`, "block or allow"},
		},
		{
			name:     "unknown mode",
			kind:     KindValidationAction,
			webhook:  Webhook{Name: "alt texts", URL: "https://receiver.example/validate", Command: "Publish", Mode: "audit"},
			wantText: []string{`"audit"`, "enforce or shadow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh := tt.webhook

			err := wh.Prepare(tt.kind, auths)

			if err == nil {
				t.Fatal("Prepare = nil, want an error")
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not mention %s", err, text)
				}
			}
		})
	}
}

func TestPrepareErrorsHideAuthorizationSecrets(t *testing.T) {
	auths := map[string]*Authorization{"receiver basic": {Type: "basic", Username: "hooks", Password: "s3cret-password"}}
	wh := &Webhook{Name: "search", URL: "ftp://receiver.example/hook", Authorization: "receiver basic", Events: []string{EventItemSaved}}

	err := wh.Prepare(KindEventHandler, auths)

	if err == nil {
		t.Fatal("Prepare = nil, want the url error")
	}
	if strings.Contains(err.Error(), "s3cret-password") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestWebhookMatchesRules(t *testing.T) {
	article := &Item{
		ID:           "79bf28f5-cb7b-4de4-9969-d294b7b33fcb",
		ParentID:     "0db0ce8c-77a3-4969-903f-138c626483d1",
		TemplateID:   "b4b148a6-a705-44f2-b6eb-31eb7e41ff6a",
		TemplateName: "Article Page",
	}
	post := &Item{ID: "42", ParentID: "7", TemplateName: "post"}
	tests := []struct {
		name  string
		rules *Rules
		event string
		item  *Item
		want  bool
	}{
		{name: "no rules match every item", item: article, want: true},
		{name: "event not subscribed", event: EventItemDeleted, item: article, want: false},
		{name: "template by name", rules: &Rules{Templates: []string{"Article Page"}}, item: article, want: true},
		{name: "template by other name", rules: &Rules{Templates: []string{"News Article"}}, item: article, want: false},
		{name: "template by braced id", rules: &Rules{Templates: []string{"{B4B148A6-A705-44F2-B6EB-31EB7E41FF6A}"}}, item: article, want: true},
		{name: "template by dashed id", rules: &Rules{Templates: []string{"b4b148a6-a705-44f2-b6eb-31eb7e41ff6a"}}, item: article, want: true},
		{name: "template by hex id", rules: &Rules{Templates: []string{"B4B148A6A70544F2B6EB31EB7E41FF6A"}}, item: article, want: true},
		{name: "template by post type", rules: &Rules{Templates: []string{"page", "post"}}, item: post, want: true},
		{name: "parent by braced id", rules: &Rules{Parents: []string{"{0DB0CE8C-77A3-4969-903F-138C626483D1}"}}, item: article, want: true},
		{name: "parent by other id", rules: &Rules{Parents: []string{"{2F79F241-3B6C-4F01-9B8C-0AB17DF82432}"}}, item: article, want: false},
		{name: "parent by number", rules: &Rules{Parents: []string{"7"}}, item: post, want: true},
		{name: "item by braced id", rules: &Rules{Items: []string{"{79BF28F5-CB7B-4DE4-9969-D294B7B33FCB}"}}, item: article, want: true},
		{name: "item by other id", rules: &Rules{Items: []string{"89169dfe-e040-4376-9d86-ba2d17f0612b"}}, item: article, want: false},
		{name: "item by number", rules: &Rules{Items: []string{"41", "42"}}, item: post, want: true},
		{
			name:  "all rules must match",
			rules: &Rules{Templates: []string{"Article Page"}, Parents: []string{"{2F79F241-3B6C-4F01-9B8C-0AB17DF82432}"}},
			item:  article,
			want:  false,
		},
		{
			name:  "all rules match",
			rules: &Rules{Templates: []string{"Article Page"}, Parents: []string{"0DB0CE8C77A34969903F138C626483D1"}, Items: []string{"{79bf28f5-cb7b-4de4-9969-d294b7b33fcb}"}},
			item:  article,
			want:  true,
		},
		{name: "parent rule on item without parent", rules: &Rules{Parents: []string{"7"}}, item: &Item{ID: "42"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh := &Webhook{
				Name:   "Search index refresh",
				URL:    "https://receiver.example/hook",
				Events: []string{EventItemSaved, EventItemAdded},
				Rules:  tt.rules,
			}
			if err := wh.Prepare(KindEventHandler, nil); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			event := tt.event
			if event == "" {
				event = EventItemSaved
			}

			if got := wh.Matches(event, tt.item); got != tt.want {
				t.Errorf("Matches(%s) = %v, want %v", event, got, tt.want)
			}
		})
	}
}

func TestWebhookDisabledNeverMatches(t *testing.T) {
	wh := &Webhook{Name: "Search index refresh", URL: "https://receiver.example/hook", Events: []string{EventItemSaved}, Disabled: true}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}

	if wh.Matches(EventItemSaved, &Item{ID: "42"}) {
		t.Error("a disabled webhook matched")
	}
}

func TestParseGUIDSpellings(t *testing.T) {
	const want = "4a7f4e30-9b63-41a3-9016-0f7b7fb175d4"
	for _, s := range []string{
		"{4A7F4E30-9B63-41A3-9016-0F7B7FB175D4}",
		"4A7F4E30-9B63-41A3-9016-0F7B7FB175D4",
		"4a7f4e30-9b63-41a3-9016-0f7b7fb175d4",
		"4A7F4E309B6341A390160F7B7FB175D4",
	} {
		got, err := ParseGUID(s)
		if err != nil || got != want {
			t.Errorf("ParseGUID(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{"", "42", "{4A7F4E30-9B63-41A3-9016-0F7B7FB175D}", "4a7f4e30-9b63-41a3-9016-0f7b7fb175dz"} {
		if got, err := ParseGUID(s); err == nil {
			t.Errorf("ParseGUID(%q) = %q, want an error", s, got)
		}
	}
}

func TestDurationReadsStringAndNumber(t *testing.T) {
	tests := []struct {
		json string
		want time.Duration
	}{
		{`"10s"`, 10 * time.Second},
		{`"1m30s"`, 90 * time.Second},
		{`2500000000`, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		var d Duration
		if err := json.Unmarshal([]byte(tt.json), &d); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.json, err)
			continue
		}
		if time.Duration(d) != tt.want {
			t.Errorf("Unmarshal(%s) = %s, want %s", tt.json, time.Duration(d), tt.want)
		}
	}

	var d Duration
	if err := json.Unmarshal([]byte(`"ten seconds"`), &d); err == nil || !strings.Contains(err.Error(), `"ten seconds"`) {
		t.Errorf("Unmarshal(\"ten seconds\") error = %v, want one that quotes the value", err)
	}
}

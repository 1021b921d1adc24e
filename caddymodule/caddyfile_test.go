package caddymodule

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// parseHandler runs UnmarshalCaddyfile on a cms_webhooks block.
func parseHandler(input string) (*Handler, error) {
	h := new(Handler)
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
	return h, err
}

// asJSON renders a value for a failure message.
func asJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

func TestCaddyfileFullSyntax(t *testing.T) {
	h, err := parseHandler(`cms_webhooks {
		cms          wordpress
		budget       5s
		max_body     2MB
		max_response 512KiB

		wordpress {
			rest_prefix /blog/wp-json
			namespaces  wp/v2 shop/v1
			post_types  posts pages
			post_types  books
		}

		authorization search-auth {
			basic indexer {env.SEARCH_PASSWORD}
		}
		authorization review-key {
			api_key X-Api-Key {file./run/secrets/review-key}
		}
		authorization chat {
			bearer tok-456
		}
		authorization legacy {
			digest hooks {env.LEGACY_PASSWORD}
		}
		authorization feed-key {
			api_key token {env.FEED_KEY} query
		}
		authorization identity {
			oauth2_client_credentials {
				token_url     https://login.example.test/oauth2/token
				client_id     sidecar
				client_secret {env.OAUTH_SECRET}
				scopes        hooks.write hooks.read
				header_prefix Token
				param         audience https://hooks.example.test
			}
		}
		authorization editor-login {
			oauth2_password {
				authority https://login.example.test/realms/cms
				client_id sidecar
				username  hooks
				password  {env.HOOKS_PASSWORD}
			}
		}

		workflow review {
			state   draft Draft
			state   pending "Awaiting review" icon /icons/pending.png id {8A9C2B5E-6F70-4A3B-9C1D-2E3F4A5B6C7D}
			state   publish Published final id 5c5c2b6e-1f70-4a3b-9c1d-2e3f4a5b6c7d
			state   archived final
			command submit draft pending
			command approve pending publish id 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e
			command reject pending draft
			templates post page
			other_transitions block
		}

		event_handler search-index {
			events item:added item:saved
			events item:deleted
			rule template post page
			rule parent 7
			rule item 5 13
			url https://search.example.test/hooks?source=wp
			authorization search-auth
			timeout 3s
			signing_secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
			signing_secret {env.NEXT_SIGNING_SECRET}
		}

		validation_action legal-check {
			workflow review
			command approve
			on_error allow
			mode shadow
			url http://127.0.0.1:9000/validate
			authorization review-key
			id {11111111-2222-3333-4444-555555555555}
		}

		submit_action notify-chat {
			command approve
			url {env.CHAT_HOOK_URL}
			serialization json
			disabled
		}
		submit_action published-feed {
			workflow review
			state publish
			url https://feed.example.test/
			authorization feed-key
		}

		delivery {
			queue           file /var/lib/caddy/hooks.db
			workers         4
			per_destination 2
			queue_size      500
			max_attempts    7
			backoff         2s 1m
			max_age         12h
			keep_delivered  1h
		}
	}`)
	if err != nil {
		t.Fatalf("UnmarshalCaddyfile: %v", err)
	}

	want := &Handler{
		CMS:         "wordpress",
		Budget:      caddy.Duration(5 * time.Second),
		MaxBody:     2_000_000,
		MaxResponse: 512 << 10,
		WordPress: &wordpress.Config{
			RESTPrefix: "/blog/wp-json",
			Namespaces: []string{"wp/v2", "shop/v1"},
			PostTypes:  []string{"posts", "pages", "books"},
		},
		Authorizations: map[string]*dispatch.Authorization{
			"search-auth": {Type: "basic", Username: "indexer", Password: "{env.SEARCH_PASSWORD}"},
			"review-key":  {Type: "api_key", Key: "X-Api-Key", Value: "{file./run/secrets/review-key}"},
			"chat":        {Type: "bearer", Token: "tok-456"},
			"legacy":      {Type: "digest", Username: "hooks", Password: "{env.LEGACY_PASSWORD}"},
			"feed-key":    {Type: "api_key", Key: "token", Value: "{env.FEED_KEY}", AddTo: "query"},
			"identity": {Type: "oauth2_client_credentials", OAuth2: &dispatch.OAuth2{
				TokenURL:       "https://login.example.test/oauth2/token",
				ClientID:       "sidecar",
				ClientSecret:   "{env.OAUTH_SECRET}",
				Scopes:         []string{"hooks.write", "hooks.read"},
				HeaderPrefix:   "Token",
				EndpointParams: map[string]string{"audience": "https://hooks.example.test"},
			}},
			"editor-login": {Type: "oauth2_password", Username: "hooks", Password: "{env.HOOKS_PASSWORD}", OAuth2: &dispatch.OAuth2{
				Authority: "https://login.example.test/realms/cms",
				ClientID:  "sidecar",
			}},
		},
		Workflows: []*dispatch.Workflow{{
			Name: "review",
			States: []*dispatch.State{
				{Key: "draft", DisplayName: "Draft"},
				{Key: "pending", DisplayName: "Awaiting review", Icon: "/icons/pending.png", ID: "{8A9C2B5E-6F70-4A3B-9C1D-2E3F4A5B6C7D}"},
				{Key: "publish", DisplayName: "Published", Final: true, ID: "5c5c2b6e-1f70-4a3b-9c1d-2e3f4a5b6c7d"},
				{Key: "archived", Final: true},
			},
			Commands: []*dispatch.Command{
				{Name: "submit", From: "draft", To: "pending"},
				{Name: "approve", From: "pending", To: "publish", ID: "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"},
				{Name: "reject", From: "pending", To: "draft"},
			},
			Templates:        []string{"post", "page"},
			OtherTransitions: "block",
		}},
		EventHandlers: []*dispatch.Webhook{{
			Name:           "search-index",
			Kind:           dispatch.KindEventHandler,
			Events:         []string{"item:added", "item:saved", "item:deleted"},
			Rules:          &dispatch.Rules{Templates: []string{"post", "page"}, Parents: []string{"7"}, Items: []string{"5", "13"}},
			URL:            "https://search.example.test/hooks?source=wp",
			Authorization:  "search-auth",
			Timeout:        dispatch.Duration(3 * time.Second),
			SigningSecrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "{env.NEXT_SIGNING_SECRET}"},
		}},
		ValidationActions: []*dispatch.Webhook{{
			Name:          "legal-check",
			Kind:          dispatch.KindValidationAction,
			Workflow:      "review",
			Command:       "approve",
			OnError:       "allow",
			Mode:          "shadow",
			URL:           "http://127.0.0.1:9000/validate",
			Authorization: "review-key",
			ID:            "{11111111-2222-3333-4444-555555555555}",
		}},
		SubmitActions: []*dispatch.Webhook{
			{Name: "notify-chat", Kind: dispatch.KindSubmitAction, Command: "approve", URL: "{env.CHAT_HOOK_URL}", Serialization: "json", Disabled: true},
			{Name: "published-feed", Kind: dispatch.KindSubmitAction, Workflow: "review", State: "publish", URL: "https://feed.example.test/", Authorization: "feed-key"},
		},
		Delivery: &DeliveryConfig{
			Queue:          "file",
			QueueFile:      "/var/lib/caddy/hooks.db",
			Workers:        4,
			PerDestination: 2,
			QueueSize:      500,
			MaxAttempts:    7,
			InitialBackoff: caddy.Duration(2 * time.Second),
			MaxBackoff:     caddy.Duration(time.Minute),
			MaxAge:         caddy.Duration(12 * time.Hour),
			KeepDelivered:  caddy.Duration(time.Hour),
		},
	}
	// JSON holds every exported field but a webhook's Kind, and leaves
	// out what Check caches in an authorization.
	if got, want := asJSON(h), asJSON(want); got != want {
		t.Errorf("Handler\n got: %s\nwant: %s", got, want)
	}
	kinds := map[dispatch.Kind][]*dispatch.Webhook{
		dispatch.KindEventHandler:     h.EventHandlers,
		dispatch.KindValidationAction: h.ValidationActions,
		dispatch.KindSubmitAction:     h.SubmitActions,
	}
	for kind, list := range kinds {
		for _, wh := range list {
			if wh.Kind != kind {
				t.Errorf("webhook %q Kind = %q, want %q", wh.Name, wh.Kind, kind)
			}
		}
	}
}

// TestCaddyfileSitecoreBlock pins the sitecore sub-block: each option
// lands in its field, a path must start with "/", and the claim and the
// search index are names, not paths.
func TestCaddyfileSitecoreBlock(t *testing.T) {
	h, err := parseHandler(`cms_webhooks {
		cms sitecore
		sitecore {
			authoring_path /cm/api/authoring/graphql/v1
			shell_path     /cm/shell/
			user_claim     preferred_username
			search_index   sitecore_authoring_index
			datasource_items
			validate_on_first_request
			session_cookies .AspNet.Cookies SC_ANALYTICS_GLOBAL_COOKIE
			dialog_timeout 10m
			workflow_message item:compositeworkflow asks_to_save
		}
	}`)
	if err != nil {
		t.Fatalf("UnmarshalCaddyfile: %v", err)
	}
	got := h.Sitecore
	if got == nil || got.AuthoringPath != "/cm/api/authoring/graphql/v1" || got.ShellPath != "/cm/shell/" ||
		got.UserClaim != "preferred_username" || got.SearchIndex != "sitecore_authoring_index" || !got.DatasourceItems || !got.ValidateOnFirstRequest ||
		len(got.SessionCookies) != 2 || got.SessionCookies[1] != "SC_ANALYTICS_GLOBAL_COOKIE" || got.DialogTimeout != caddy.Duration(10*time.Minute) || !got.WorkflowMessages["item:compositeworkflow"].AsksToSave {
		t.Errorf("Sitecore = %s", asJSON(got))
	}

	_, err = parseHandler("cms_webhooks {\n\tsitecore {\n\t\tdatasource_items yes\n\t}\n}")
	if err == nil || !strings.Contains(err.Error(), "datasource_items takes no value, got 'yes'") {
		t.Errorf("datasource_items with a value: error %v, want one naming the value", err)
	}

	_, err = parseHandler("cms_webhooks {\n\tsitecore {\n\t\tspeak_path speak/\n\t}\n}")
	if err == nil || !strings.Contains(err.Error(), "invalid speak_path 'speak/': must start with /") || !strings.Contains(err.Error(), "Testfile:3") {
		t.Errorf("relative speak_path: error %v, want one naming the value and line 3", err)
	}
}

func TestCaddyfileEmptyBlockKeepsDefaults(t *testing.T) {
	h, err := parseHandler(`cms_webhooks`)
	if err != nil {
		t.Fatalf("UnmarshalCaddyfile: %v", err)
	}
	if got := asJSON(h); got != "{}" {
		t.Errorf("Handler = %s, want the zero Handler, whose defaults Provision fills", got)
	}
}

func TestCaddyfileRetryOffSendsOnce(t *testing.T) {
	cases := []struct {
		name  string
		block string
		want  int
	}{
		{"retry off", "retry off", 1},
		{"retry on", "retry on", 0},
		{"max_attempts", "max_attempts 3", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHandler("cms_webhooks {\n delivery {\n " + tc.block + "\n }\n}")
			if err != nil {
				t.Fatalf("UnmarshalCaddyfile: %v", err)
			}
			if h.Delivery == nil {
				t.Fatal("Delivery = nil, want a delivery block")
			}
			if h.Delivery.MaxAttempts != tc.want {
				t.Errorf("MaxAttempts = %d, want %d", h.Delivery.MaxAttempts, tc.want)
			}
		})
	}
}

func TestCaddyfileSizesAndDurations(t *testing.T) {
	cases := []struct {
		option string
		value  string
		want   int64
	}{
		{"max_body", "2MB", 2_000_000},
		{"max_body", "2MiB", 2 << 20},
		{"max_body", "1048576", 1 << 20},
		{"max_body", "64kb", 64_000},
		{"max_response", "1.5MiB", 3 << 19},
		{"max_response", "512KiB", 512 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.option+" "+tc.value, func(t *testing.T) {
			h, err := parseHandler("cms_webhooks {\n" + tc.option + " " + tc.value + "\n}")
			if err != nil {
				t.Fatalf("UnmarshalCaddyfile: %v", err)
			}
			got := h.MaxBody
			if tc.option == "max_response" {
				got = h.MaxResponse
			}
			if got != tc.want {
				t.Errorf("%s %s = %d bytes, want %d", tc.option, tc.value, got, tc.want)
			}
		})
	}

	h, err := parseHandler("cms_webhooks {\n budget 1m30s\n}")
	if err != nil {
		t.Fatalf("UnmarshalCaddyfile: %v", err)
	}
	if got, want := time.Duration(h.Budget), 90*time.Second; got != want {
		t.Errorf("budget 1m30s = %v, want %v", got, want)
	}
}

// workflowBlock is a valid workflow for the error cases, on lines 2 to 7.
const workflowBlock = `cms_webhooks {
	workflow review {
		state draft
		state pending
		state publish
		command submit draft pending
	}
`

func TestCaddyfileErrorsNameValueAndLine(t *testing.T) {
	cases := []struct {
		name  string
		input string

		// wantText are parts the message must contain: the bad value
		// and, where it helps, what to do.
		wantText []string
		wantLine int

		// secret must not appear in the message.
		secret string
	}{
		{
			name:     "unknown option",
			input:    "cms_webhooks {\n\tbudget 5s\n\tcolour blue\n}",
			wantText: []string{"unrecognized cms_webhooks option 'colour'"},
			wantLine: 3,
		},
		{
			name:     "on_error maybe",
			input:    workflowBlock + "\tvalidation_action check {\n\t\tcommand submit\n\t\ton_error maybe\n\t\turl http://127.0.0.1:9000/v\n\t}\n}",
			wantText: []string{"on_error", "'maybe'", "block or allow"},
			wantLine: 10,
		},
		{
			name:     "mode loud",
			input:    workflowBlock + "\tvalidation_action check {\n\t\tcommand submit\n\t\turl http://127.0.0.1:9000/v\n\t\tmode loud\n\t}\n}",
			wantText: []string{"mode", "'loud'", "enforce or shadow"},
			wantLine: 11,
		},
		{
			name:     "unknown event",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\turl https://search.example.test/\n\t\tevents item:added item:created\n\t}\n}",
			wantText: []string{"event_handler 'search'", "unknown event 'item:created'", "item:added"},
			wantLine: 4,
		},
		{
			name:     "ftp url",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\turl ftp://files.example.test/hook\n\t}\n}",
			wantText: []string{"event_handler 'search'", "ftp://files.example.test/hook", "scheme must be http or https"},
			wantLine: 4,
		},
		{
			name:     "command with undeclared state",
			input:    "cms_webhooks {\n\tworkflow review {\n\t\tstate draft\n\t\tstate pending\n\t\tcommand approve pending published\n\t}\n}",
			wantText: []string{"workflow 'review'", "command 'approve'", "unknown state 'published'"},
			wantLine: 5,
		},
		{
			name:     "state id not a GUID",
			input:    "cms_webhooks {\n\tworkflow review {\n\t\tstate draft Draft id 1234\n\t}\n}",
			wantText: []string{"state 'draft'", "invalid id '1234'", "not a GUID"},
			wantLine: 3,
		},
		{
			name:     "command id not a GUID",
			input:    "cms_webhooks {\n\tworkflow review {\n\t\tstate draft\n\t\tstate pending\n\t\tcommand submit draft pending id {not-a-guid}\n\t}\n}",
			wantText: []string{"command 'submit'", "invalid id '{not-a-guid}'"},
			wantLine: 5,
		},
		{
			name:     "webhook id not a GUID",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\tid search-1\n\t\turl https://search.example.test/\n\t}\n}",
			wantText: []string{"event_handler 'search'", "invalid id 'search-1'"},
			wantLine: 4,
		},
		{
			name:     "submit action with command and state",
			input:    workflowBlock + "\tsubmit_action notify {\n\t\turl https://chat.example.test/\n\t\tcommand submit\n\t\tstate publish\n\t}\n}",
			wantText: []string{"submit_action 'notify'", "command", "state"},
			wantLine: 11,
		},
		{
			name:     "duplicate workflow",
			input:    workflowBlock + "\tworkflow review {\n\t\tstate draft\n\t}\n}",
			wantText: []string{"workflow 'review' defined twice"},
			wantLine: 8,
		},
		{
			name:     "duplicate authorization",
			input:    "cms_webhooks {\n\tauthorization chat {\n\t\tbearer a\n\t}\n\tauthorization chat {\n\t\tbearer b\n\t}\n}",
			wantText: []string{"authorization 'chat' defined twice"},
			wantLine: 5,
		},
		{
			name:     "unknown authorization type",
			input:    "cms_webhooks {\n\tauthorization chat {\n\t\tntlm user pass\n\t}\n}",
			wantText: []string{"authorization 'chat'", "unknown type 'ntlm'", "basic, digest, api_key, bearer"},
			wantLine: 3,
		},
		{
			name:     "invalid api_key header",
			input:    "cms_webhooks {\n\tauthorization chat {\n\t\tapi_key X:Key secret\n\t}\n}",
			wantText: []string{"authorization \"chat\"", "X:Key", "not a valid header name"},
			wantLine: 3,
		},
		{
			name:     "cms other than wordpress",
			input:    "cms_webhooks {\n\tcms drupal\n}",
			wantText: []string{"invalid cms 'drupal'", "wordpress"},
			wantLine: 2,
		},
		{
			name:     "invalid size",
			input:    "cms_webhooks {\n\tmax_body 2XB\n}",
			wantText: []string{"invalid max_body size '2XB'"},
			wantLine: 2,
		},
		{
			name:     "size in two words",
			input:    "cms_webhooks {\n\tmax_body 2 MB\n}",
			wantText: []string{"wrong argument count", "'MB'"},
			wantLine: 2,
		},
		{
			name:     "zero size",
			input:    "cms_webhooks {\n\tmax_response 0\n}",
			wantText: []string{"invalid max_response size '0'"},
			wantLine: 2,
		},
		{
			name:     "invalid budget",
			input:    "cms_webhooks {\n\n\tbudget soon\n}",
			wantText: []string{"invalid budget duration 'soon'"},
			wantLine: 3,
		},
		{
			name:     "zero workers",
			input:    "cms_webhooks {\n\tdelivery {\n\t\tworkers 0\n\t}\n}",
			wantText: []string{"invalid workers '0'", "positive whole number"},
			wantLine: 3,
		},
		{
			name:     "retry maybe",
			input:    "cms_webhooks {\n\tdelivery {\n\t\tretry maybe\n\t}\n}",
			wantText: []string{"invalid retry 'maybe'", "off or on"},
			wantLine: 3,
		},
		{
			name:     "negative backoff",
			input:    "cms_webhooks {\n\tdelivery {\n\t\tbackoff 1s -5s\n\t}\n}",
			wantText: []string{"invalid backoff duration '-5s'"},
			wantLine: 3,
		},
		{
			name:     "rest_prefix without slash",
			input:    "cms_webhooks {\n\twordpress {\n\t\trest_prefix wp-json\n\t}\n}",
			wantText: []string{"invalid rest_prefix 'wp-json'", "must start with /"},
			wantLine: 3,
		},
		{
			name:     "option of another webhook kind",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\tcommand approve\n\t}\n}",
			wantText: []string{"event_handler 'search'", "unrecognized option 'command'"},
			wantLine: 4,
		},
		{
			name:     "unknown rule kind",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\trule language en\n\t}\n}",
			wantText: []string{"unknown rule 'language'"},
			wantLine: 4,
		},
		{
			name:     "undefined authorization",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\turl https://search.example.test/\n\t\tauthorization search-auth\n\t}\n}",
			wantText: []string{"event_handler 'search'", "authorization 'search-auth' is not defined"},
			wantLine: 5,
		},
		{
			name:     "undefined enrich_authorization",
			input:    "cms_webhooks {\n\tbudget 5s\n\tenrich_authorization service_acount\n}",
			wantText: []string{"enrich_authorization 'service_acount'", "is not defined"},
			wantLine: 3,
		},
		{
			name:     "validation action with unknown command",
			input:    workflowBlock + "\tvalidation_action check {\n\t\tcommand publish\n\t\turl http://127.0.0.1:9000/v\n\t}\n}",
			wantText: []string{"validation_action", "check", "has no command", "publish"},
			wantLine: 9,
		},
		{
			name:     "api_key placement",
			input:    "cms_webhooks {\n\tauthorization feed {\n\t\tapi_key token abc cookie\n\t}\n}",
			wantText: []string{"authorization 'feed'", "invalid api_key placement 'cookie'", "header or query"},
			wantLine: 3,
		},
		{
			name:     "signing secret without prefix",
			input:    "cms_webhooks {\n\tevent_handler search {\n\t\tevents item:saved\n\t\tsigning_secret hunter2-secret\n\t}\n}",
			wantText: []string{"event_handler 'search'", "invalid signing_secret", "whsec_"},
			wantLine: 4,
			secret:   "hunter2-secret",
		},
		{
			name:     "unknown queue kind",
			input:    "cms_webhooks {\n\tdelivery {\n\t\tqueue redis\n\t}\n}",
			wantText: []string{"'redis'", "memory", "file"},
			wantLine: 3,
		},
		{
			name:     "arguments after directive",
			input:    "cms_webhooks wordpress {\n}",
			wantText: []string{"wrong argument count", "'wordpress'"},
			wantLine: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseHandler(tc.input)
			if err == nil {
				t.Fatal("UnmarshalCaddyfile returned no error")
			}
			msg := err.Error()
			for _, part := range tc.wantText {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q does not contain %q", msg, part)
				}
			}
			if line := fmt.Sprintf("Testfile:%d", tc.wantLine); !strings.HasSuffix(msg, line) {
				t.Errorf("error %q does not end with %q", msg, line)
			}
			if tc.secret != "" && strings.Contains(msg, tc.secret) {
				t.Errorf("error %q quotes the secret", msg)
			}
		})
	}
}

package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// reviewWorkflow returns a workflow with the WordPress statuses of an
// editorial review.
func reviewWorkflow(name string) *dispatch.Workflow {
	return &dispatch.Workflow{
		Name: name,
		States: []*dispatch.State{
			{Key: "draft"}, {Key: "pending"}, {Key: "publish", Final: true},
		},
		Commands: []*dispatch.Command{
			{Name: "submit", From: "draft", To: "pending"},
			{Name: "approve", From: "pending", To: "publish"},
		},
	}
}

func TestPrepareWebhooksResolvesEnvAuthorization(t *testing.T) {
	t.Setenv("CMS_WEBHOOKS_TEST_TOKEN", "s3cret-token")
	configured := &dispatch.Authorization{Type: "bearer", Token: "{env.CMS_WEBHOOKS_TEST_TOKEN}"}
	h := &Handler{
		Authorizations: map[string]*dispatch.Authorization{"chat": configured},
		EventHandlers: []*dispatch.Webhook{
			{Name: "chat-feed", URL: "http://127.0.0.1:9000/hook", Events: []string{dispatch.EventItemSaved}, Authorization: "chat"},
		},
	}
	if err := h.prepareWebhooks(); err != nil {
		t.Fatalf("prepareWebhooks: %v", err)
	}

	if got := h.auths["chat"].Token; got != "s3cret-token" {
		t.Errorf("resolved token = %q, want the value of CMS_WEBHOOKS_TEST_TOKEN", got)
	}
	if configured.Token != "{env.CMS_WEBHOOKS_TEST_TOKEN}" {
		t.Errorf("configured token = %q, want the placeholder kept, so that a reload resolves it again", configured.Token)
	}
}

func TestPrepareWebhooksResolvesFileAuthorization(t *testing.T) {
	path := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(path, []byte("file-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Authorizations: map[string]*dispatch.Authorization{
		"search": {Type: "basic", Username: "indexer", Password: "{file." + path + "}"},
	}}
	if err := h.prepareWebhooks(); err != nil {
		t.Fatalf("prepareWebhooks: %v", err)
	}

	if got := h.auths["search"].Password; got != "file-pass" {
		t.Errorf("resolved password = %q, want the file's content without its final newline", got)
	}
}

func TestPrepareWebhooksErrors(t *testing.T) {
	t.Setenv("CMS_WEBHOOKS_TEST_UNSET", "")
	hook := "http://127.0.0.1:9000/hook"
	cases := []struct {
		name    string
		handler *Handler

		// wantText are the parts the message must contain.
		wantText []string
	}{
		{
			name: "validation action with unknown command",
			handler: &Handler{
				Workflows:         []*dispatch.Workflow{reviewWorkflow("review")},
				ValidationActions: []*dispatch.Webhook{{Name: "legal-check", URL: hook, Command: "publish"}},
			},
			wantText: []string{`validation_action "legal-check"`, `workflow "review" has no command "publish"`},
		},
		{
			name: "submit action with unknown state",
			handler: &Handler{
				Workflows:     []*dispatch.Workflow{reviewWorkflow("review")},
				SubmitActions: []*dispatch.Webhook{{Name: "feed", URL: hook, State: "published"}},
			},
			wantText: []string{`submit_action "feed"`, `workflow "review" has no state "published"`},
		},
		{
			name: "action with unknown workflow",
			handler: &Handler{
				Workflows:         []*dispatch.Workflow{reviewWorkflow("review")},
				ValidationActions: []*dispatch.Webhook{{Name: "legal-check", URL: hook, Workflow: "legal", Command: "approve"}},
			},
			wantText: []string{`validation_action "legal-check"`, `workflow "legal" is not defined`},
		},
		{
			name: "action without workflow among two",
			handler: &Handler{
				Workflows:     []*dispatch.Workflow{reviewWorkflow("review"), reviewWorkflow("legal")},
				SubmitActions: []*dispatch.Webhook{{Name: "feed", URL: hook, Command: "approve"}},
			},
			wantText: []string{`submit_action "feed"`, "name its workflow", "2 workflows"},
		},
		{
			name: "action without any workflow",
			handler: &Handler{
				ValidationActions: []*dispatch.Webhook{{Name: "legal-check", URL: hook, Command: "approve"}},
			},
			wantText: []string{`validation_action "legal-check"`, "0 workflows"},
		},
		{
			name: "undefined authorization",
			handler: &Handler{
				Authorizations: map[string]*dispatch.Authorization{"chat": {Type: "bearer", Token: "t"}},
				EventHandlers: []*dispatch.Webhook{
					{Name: "search-index", URL: hook, Events: []string{dispatch.EventItemSaved}, Authorization: "search"},
				},
			},
			wantText: []string{`event_handler "search-index"`, `authorization "search" is not defined`},
		},
		{
			name: "empty environment variable",
			handler: &Handler{Authorizations: map[string]*dispatch.Authorization{
				"chat": {Type: "bearer", Token: "{env.CMS_WEBHOOKS_TEST_UNSET}"},
			}},
			wantText: []string{`authorization "chat"`, "{env.CMS_WEBHOOKS_TEST_UNSET}", "empty"},
		},
		{
			name: "unknown placeholder",
			handler: &Handler{Authorizations: map[string]*dispatch.Authorization{
				"chat": {Type: "api_key", Key: "X-Api-Key", Value: "{vault.chat}"},
			}},
			wantText: []string{`authorization "chat"`, "unrecognized placeholder {vault.chat}"},
		},
		{
			name: "authorization without type",
			handler: &Handler{Authorizations: map[string]*dispatch.Authorization{
				"chat": {Token: "t"},
			}},
			wantText: []string{`authorization "chat"`, "unknown type"},
		},
		{
			name:     "empty authorization",
			handler:  &Handler{Authorizations: map[string]*dispatch.Authorization{"chat": nil}},
			wantText: []string{`authorization "chat"`, "empty"},
		},
		{
			name: "webhook names shared across kinds",
			handler: &Handler{
				Workflows:     []*dispatch.Workflow{reviewWorkflow("review")},
				EventHandlers: []*dispatch.Webhook{{Name: "notify", URL: hook, Events: []string{dispatch.EventItemSaved}}},
				SubmitActions: []*dispatch.Webhook{{Name: "notify", URL: hook, Command: "approve"}},
			},
			wantText: []string{`submit_action "notify"`, "same name"},
		},
		{
			name: "workflow defined twice",
			handler: &Handler{
				Workflows: []*dispatch.Workflow{reviewWorkflow("review"), reviewWorkflow("review")},
			},
			wantText: []string{`workflow "review" defined twice`},
		},
		{
			name: "command from undeclared state",
			handler: &Handler{Workflows: []*dispatch.Workflow{{
				Name:     "review",
				States:   []*dispatch.State{{Key: "draft"}},
				Commands: []*dispatch.Command{{Name: "submit", From: "draft", To: "pending"}},
			}}},
			wantText: []string{`workflow "review"`, `command "submit"`, `"pending"`},
		},
		{
			name: "webhook with ftp url",
			handler: &Handler{
				EventHandlers: []*dispatch.Webhook{{Name: "search-index", URL: "ftp://files.example.test/", Events: []string{dispatch.EventItemSaved}}},
			},
			wantText: []string{`event_handler "search-index"`, "ftp://files.example.test/", "scheme must be http or https"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.handler.prepareWebhooks()
			if err == nil {
				t.Fatal("prepareWebhooks returned no error")
			}
			for _, part := range tc.wantText {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func TestPrepareWebhooksFillsOnlyWorkflow(t *testing.T) {
	h := &Handler{
		Workflows:         []*dispatch.Workflow{reviewWorkflow("review")},
		ValidationActions: []*dispatch.Webhook{{Name: "legal-check", URL: "http://127.0.0.1:9000/v", Command: "approve"}},
	}
	if err := h.prepareWebhooks(); err != nil {
		t.Fatalf("prepareWebhooks: %v", err)
	}

	if got := h.ValidationActions[0].Workflow; got != "review" {
		t.Errorf("Workflow = %q, want review, the only workflow", got)
	}
}

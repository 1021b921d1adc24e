package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// TestEnrichAuthorizationReadsForCookieCaller pins enrich_authorization: an
// ItemService caller signed in with the .AspNet.Cookies cookie cannot read
// the Authoring API, whose reads need a bearer token, so the enrichment of
// its update reads with the configured service token instead and item:saved
// carries the Headline's OriginalValue.
func TestEnrichAuthorizationReadsForCookieCaller(t *testing.T) {
	editor, service := scToken(scEditor), scToken(`sitecore\webhooks`)
	emu := sitecore.NewEmulator(sitecore.Options{Tokens: map[string]string{editor: scEditor, service: `sitecore\webhooks`}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	before, _ := sitecore.Field(latestVersion(t, mustItem(t, emu, sitecore.HarbourFestivalID)).Fields, "Headline")

	rc := newReceiver(t)
	site := fmt.Sprintf(`cms_webhooks {
	cms sitecore
	authorization service_account {
		bearer {env.SERVICE_TOKEN}
	}
	enrich_authorization service_account
	event_handler "Search index" {
		events item:saved
		url %s
		enrich
	}
}
reverse_proxy %s`, rc.URL("/search"), srv.Listener.Addr())
	caddy := startCaddy(t, caddyOptions{site: site, env: []string{"SERVICE_TOKEN=" + service}})

	target := caddy.URL + sitecore.ItemServicePath + "/" + sitecore.HarbourFestivalID + "?database=master&language=en&version=1"
	req, err := http.NewRequest(http.MethodPatch, target, strings.NewReader(`{"Headline":"Harbour festival moves to June"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: ".AspNet.Cookies", Value: editor})
	if got := send(t, req); got.Status != http.StatusNoContent {
		t.Fatalf("PATCH with the cookie: status %d, want 204: %.300s", got.Status, got.Body)
	}

	saved := rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
	changes, _ := field(saved.JSON, "Changes", "FieldChanges").([]any)
	var headline any
	for _, c := range changes {
		if str(c, "FieldId") == sitecore.HeadlineFieldID {
			headline = c
		}
	}
	if headline == nil {
		t.Fatalf("item:saved has no Headline change; the enrichment read did not use the service token: %s", saved.Body)
	}
	wantStrings(t, "Headline change", headline, map[string]string{
		"Value":         "Harbour festival moves to June",
		"OriginalValue": before,
	})
}

func mustItem(t *testing.T, emu *sitecore.Emulator, id string) sitecore.Item {
	t.Helper()
	it, ok := emu.Item(id)
	if !ok {
		t.Fatalf("the emulator has no item %s", id)
	}
	return it
}

// TestOversizedGraphQLRejectedWhenValidating pins that a GraphQL request
// too large to inspect is not forwarded while validation actions are
// configured, because it could run a workflow command past them.
func TestOversizedGraphQLRejectedWhenValidating(t *testing.T) {
	validator := newReceiver(t)
	s := startSitecoreSidecar(t, fmt.Sprintf(`max_body 1KB
workflow "Sample Workflow" {
	state draft "Draft" id %s
	state awaiting "Awaiting Approval" id %s
	command submit draft awaiting id %s
}
validation_action "Legal review" {
	command submit
	url %s
}`, sitecore.DraftStateID, sitecore.AwaitingApprovalStateID, sitecore.SubmitCommandID, validator.URL("/legal")))

	padding := strings.Repeat(" ", 2048)
	query := fmt.Sprintf(`mutation { executeWorkflowCommand(input: {commandId: %q, item: {itemId: %q}}) { successful } }%s`,
		sitecore.SubmitCommandID, sitecore.HarbourFestivalID, padding)
	s.emu.ClearRequests()
	got := s.viaSidecar(t, sitecore.AuthoringPath, map[string]string{"query": query})
	if got.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %.300s", got.Status, got.Body)
	}
	if n := len(s.emu.Requests()); n != 0 {
		t.Errorf("the emulator got %d requests, want none", n)
	}
	state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0)
	if state.ID != sitecore.DraftStateID {
		t.Errorf("workflow state %s, want Draft %s", state.ID, sitecore.DraftStateID)
	}
}

// TestWrongStateCommandSkipsValidation pins that a workflow command whose
// item is not in the command's state, which Sitecore refuses, is forwarded
// without calling the validation actions: the sidecar reads the item's
// state first.
func TestWrongStateCommandSkipsValidation(t *testing.T) {
	validator := newReceiver(t)
	s := startSitecoreSidecar(t, fmt.Sprintf(`workflow "Sample Workflow" {
	state draft "Draft" id %s
	state awaiting "Awaiting Approval" id %s
	state approved "Approved" final id %s
	command submit draft awaiting id %s
	command approve awaiting approved id %s
}
validation_action "Legal review" {
	command approve
	url %s
}`, sitecore.DraftStateID, sitecore.AwaitingApprovalStateID, sitecore.ApprovedStateID,
		sitecore.SubmitCommandID, sitecore.ApproveCommandID, validator.URL("/legal")))

	// The seeded article is in Draft, so Approve is not one of its commands.
	query := fmt.Sprintf(`mutation { executeWorkflowCommand(input: {commandId: %q, item: {itemId: %q, language: "en"}}) { successful error } }`,
		sitecore.ApproveCommandID, sitecore.HarbourFestivalID)
	got := s.viaSidecar(t, sitecore.AuthoringPath, map[string]string{"query": query})
	if got.Status != http.StatusOK || !strings.Contains(string(got.Body), `"successful":false`) {
		t.Fatalf("status %d, body %.300s; want the CMS's own refusal", got.Status, got.Body)
	}
	if n := len(validator.all()); n != 0 {
		t.Errorf("the validator was called %d times, want 0", n)
	}
	state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0)
	if state.ID != sitecore.DraftStateID {
		t.Errorf("workflow state %s, want Draft %s", state.ID, sitecore.DraftStateID)
	}
}

package sitecore_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

const authoring = "/sitecore/api/authoring/graphql/v1"

func classify(t *testing.T, method, target, body string) []*dispatch.Operation {
	t.Helper()
	c := sitecore.New(sitecore.Config{})
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if !c.Candidate(r) {
		t.Fatalf("Candidate(%s %s) = false, want true", method, target)
	}
	return c.Classify(r, []byte(body))
}

// TestCreateItemFiresItemAdded follows the createItem exchange of the
// Authoring API documentation: the 32-digit itemId of the answer becomes
// the dashed id of the payload.
func TestCreateItemFiresItemAdded(t *testing.T) {
	body := `{"query":"mutation { createItem(input: { name: \"winter-menu\", templateId: \"{5CDB13E9-295A-4473-8F44-3FD03D3D4740}\", parent: \"{0DB0CE8C-77A3-4969-903F-138C626483D1}\", language: \"en\", fields: [{ name: \"Headline\", value: \"Winter menu\" }] }) { item { itemId name path } } }"}`
	ops := classify(t, http.MethodPost, authoring, body)
	if len(ops) != 1 {
		t.Fatalf("got %d operations, want 1", len(ops))
	}
	c := sitecore.New(sitecore.Config{})
	c.Complete(ops, 200, nil, []byte(`{"data":{"createItem":{"item":{"itemId":"34a57bff170c4281b00e3f437ab83f0c","name":"winter-menu","path":"/sitecore/content/Home/Restaurant/winter-menu"}}}}`))

	op := ops[0]
	if !op.Succeeded {
		t.Fatal("Succeeded = false, want true")
	}
	if !op.HasEvent(dispatch.EventItemAdded) {
		t.Errorf("events = %+v, want item:added", op.Events)
	}
	if op.Item.ID != "34a57bff-170c-4281-b00e-3f437ab83f0c" {
		t.Errorf("Item.ID = %q", op.Item.ID)
	}
	if op.Item.TemplateID != "5cdb13e9-295a-4473-8f44-3fd03d3d4740" {
		t.Errorf("Item.TemplateID = %q", op.Item.TemplateID)
	}
	if op.Item.ParentID != "0db0ce8c-77a3-4969-903f-138c626483d1" {
		t.Errorf("Item.ParentID = %q", op.Item.ParentID)
	}
	if op.Item.Language != "en" || op.Item.Name != "winter-menu" {
		t.Errorf("Item = %+v", op.Item)
	}
}

// TestWorkflowCommandNamesCommand follows the executeWorkflowCommand
// exchange: the command id, comment and item come from the input.
func TestWorkflowCommandNamesCommand(t *testing.T) {
	body := `{"operationName":"Advance","query":"mutation Advance { executeWorkflowCommand(input: { commandId: \"{EA901431-6162-4769-94C3-EDAD1AD59FC8}\", comments: \"Checked by legal\", item: { itemId: \"{89169DFE-E040-4376-9D86-BA2D17F0612B}\", database: \"master\", language: \"en\", version: 2 } }) { successful error } }"}`
	ops := classify(t, http.MethodPost, authoring, body)
	if len(ops) != 1 || ops[0].StatusChange == nil {
		t.Fatalf("got %+v, want one workflow command", ops)
	}
	op := ops[0]
	if op.StatusChange.CommandID != "{EA901431-6162-4769-94C3-EDAD1AD59FC8}" {
		t.Errorf("CommandID = %q", op.StatusChange.CommandID)
	}
	if op.Comments != "Checked by legal" || op.Item.ID != "89169dfe-e040-4376-9d86-ba2d17f0612b" || op.Item.Version != 2 || op.Item.Language != "en" {
		t.Errorf("operation = %+v", op)
	}

	c := sitecore.New(sitecore.Config{})
	c.Complete(ops, 200, nil, []byte(`{"data":{"executeWorkflowCommand":{"successful":true,"error":null}}}`))
	if !op.Succeeded {
		t.Error("Succeeded = false after successful:true")
	}
}

// TestFailedMutationSiblingStillFires pins that a mutation reported in
// errors fires nothing while its sibling in the same document does.
func TestFailedMutationSiblingStillFires(t *testing.T) {
	body := `{"query":"mutation { gone: deleteItem(input: {itemId: \"{89169DFE-E040-4376-9D86-BA2D17F0612B}\"}) { successful } kept: renameItem(input: {itemId: \"34a57bff170c4281b00e3f437ab83f0c\", newName: \"spring\"}) { item { itemId } } }"}`
	ops := classify(t, http.MethodPost, authoring, body)
	if len(ops) != 2 {
		t.Fatalf("got %d operations, want 2", len(ops))
	}
	c := sitecore.New(sitecore.Config{})
	c.Complete(ops, 200, nil, []byte(`{"data":{"gone":null,"kept":{"item":{"itemId":"34a57bff170c4281b00e3f437ab83f0c"}}},"errors":[{"message":"Item does not exist.","path":["gone"]}]}`))
	if ops[0].Succeeded {
		t.Error("deleteItem in errors: Succeeded = true, want false")
	}
	if !ops[1].Succeeded || !ops[1].HasEvent(dispatch.EventItemRenamed) {
		t.Errorf("renameItem: Succeeded = %v, events %+v; want item:renamed", ops[1].Succeeded, ops[1].Events)
	}
}

// TestBlockedCommandAnswersGraphQL pins the shape of a 409 for a blocked
// executeWorkflowCommand: a GraphQL answer with the message in errors and
// successful false.
func TestBlockedCommandAnswersGraphQL(t *testing.T) {
	body := `{"query":"mutation { executeWorkflowCommand(input: { commandId: \"{EA901431-6162-4769-94C3-EDAD1AD59FC8}\", item: { itemId: \"{89169DFE-E040-4376-9D86-BA2D17F0612B}\" } }) { successful error } }"}`
	ops := classify(t, http.MethodPost, authoring, body)
	c := sitecore.New(sitecore.Config{})
	status, contentType, out := c.Reject(ops, 409, "The price list for this product is not approved.", nil)
	if status != 409 || !strings.HasPrefix(contentType, "application/json") {
		t.Errorf("status %d, Content-Type %q", status, contentType)
	}
	for _, want := range []string{`"errors":[{`, `"message":"The price list for this product is not approved."`, `"executeWorkflowCommand":{"error":"The price list for this product is not approved.","successful":false}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("answer %s lacks %s", out, want)
		}
	}
}

// TestOnlyGraphQLMayCarryCommand pins which requests the handler rejects
// with 413 when their body is too large to inspect and validation actions
// are configured: those to the GraphQL endpoints that run workflow
// commands, not ItemService writes, which have none.
func TestOnlyGraphQLMayCarryCommand(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	cases := []struct {
		method, target string
		want           bool
	}{
		{http.MethodPost, authoring, true},
		{http.MethodPost, "/sitecore/api/ssc/horizon/query", true},
		{http.MethodPatch, "/sitecore/api/ssc/item/89169dfe-e040-4376-9d86-ba2d17f0612b", false},
		{http.MethodPost, "/sitecore/api/graph/items/master", false},
		{http.MethodGet, authoring, false},
	}
	for _, tc := range cases {
		if got := c.MayCarryCommand(httptest.NewRequest(tc.method, tc.target, nil)); got != tc.want {
			t.Errorf("MayCarryCommand(%s %s) = %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
}

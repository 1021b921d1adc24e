package sitecore_test

import (
	"bufio"
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
	"github.com/cmshooks/caddy-cms-webhooks/internal/receivermodel"
)

// The fidelity tests run recorded Sitecore exchanges through the real
// classifier (New, Candidate, Classify, Complete) and the real encoder
// (dispatch.EncodeEvent and EncodeAction), then decode each payload the way
// receivers written for Sitecore do. The exchanges in testdata/exchanges
// are written in the request and response shapes that Sitecore's
// documentation and public clients show.
//
// The receiver models and the payload reader are those of
// internal/receivermodel, which dispatch/fidelity_test.go uses too. Its
// package comment names the public C# models they mirror.

// exchange is one recorded request to the CMS and the CMS's response.
type exchange struct {
	method, target string
	header         http.Header
	body           string

	status         int
	responseHeader http.Header
	responseBody   string
}

// readExchange reads testdata/exchanges/NAME.http, which contains a
// request written as on the wire, a blank line, and the response written
// the same way.
func readExchange(t *testing.T, name string) exchange {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "exchanges", name+".http"))
	if err != nil {
		t.Fatal(err)
	}
	request, response, ok := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\nHTTP/1.1 ")
	if !ok {
		t.Fatalf("%s: no response after the request", name)
	}

	var ex exchange
	head, body, _ := strings.Cut(request, "\n\n")
	requestLine, header, _ := strings.Cut(head, "\n")
	parts := strings.Fields(requestLine)
	if len(parts) != 3 {
		t.Fatalf("%s: invalid request line %q", name, requestLine)
	}
	ex.method, ex.target, ex.body = parts[0], parts[1], strings.TrimSpace(body)
	ex.header = readHeader(t, header)

	head, body, _ = strings.Cut(response, "\n\n")
	statusLine, header, _ := strings.Cut(head, "\n")
	if ex.status, err = strconv.Atoi(strings.Fields(statusLine)[0]); err != nil {
		t.Fatalf("%s: invalid status line %q", name, statusLine)
	}
	ex.responseHeader = readHeader(t, header)
	ex.responseBody = strings.TrimSpace(body)
	return ex
}

func readHeader(t *testing.T, lines string) http.Header {
	t.Helper()
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(lines + "\n\n"))).ReadMIMEHeader()
	if err != nil {
		t.Fatalf("reading header %q: %v", lines, err)
	}
	return http.Header(h)
}

// classifyRequest sends the recorded request through Candidate and Classify,
// as the handler does before forwarding.
func classifyRequest(t *testing.T, c *sitecore.Classifier, ex exchange) []*dispatch.Operation {
	t.Helper()
	r := httptest.NewRequest(ex.method, ex.target, strings.NewReader(ex.body))
	for name, values := range ex.header {
		r.Header[name] = values
	}
	if !c.Candidate(r) {
		t.Fatalf("Candidate(%s %s) = false, want true", ex.method, ex.target)
	}
	return c.Classify(r, []byte(ex.body))
}

// classifyExchange classifies the recorded request and completes its
// operations with the recorded response.
func classifyExchange(t *testing.T, name string) []*dispatch.Operation {
	t.Helper()
	ex := readExchange(t, name)
	c := sitecore.New(sitecore.Config{})
	ops := classifyRequest(t, c, ex)
	c.Complete(ops, ex.status, ex.responseHeader, []byte(ex.responseBody))
	return ops
}

// Item ids of the recorded exchanges, in the payload form.
const (
	harbourFestival = "89169dfe-e040-4376-9d86-ba2d17f0612b"
	winterMenu      = "34a57bff-170c-4281-b00e-3f437ab83f0c"
	teamOffsite     = "4a91826a-ccf8-4738-b539-eed720875f02"
	offsiteCopy     = "c2b9b3f0-5d6e-4f7a-9a41-3e2d7c8b1f60"
	lighthouseTour  = "5e0f4d2a-8b7c-4e61-a9d3-2f1b0c4e7a95"
	homeFolder      = "0db0ce8c-77a3-4969-903f-138c626483d1"
	eventsFolder    = "2f79f241-3b6c-4f01-9b8c-0ab17df82432"
	publishCommand  = "ea901431-6162-4769-94c3-edad1ad59fc8"
)

var (
	deleteEvents = []string{dispatch.EventItemDeleting, dispatch.EventItemDeleted}
	noEvents     = []string{}
)

// wantOperation is what one recorded mutation must become. Empty fields
// are not checked.
type wantOperation struct {
	events    []string
	id        string // the item's id, or the copy's for copyItem
	sourceID  string // copyItem only: the copied item
	parentID  string
	name      string
	language  string
	version   int
	commandID string // executeWorkflowCommand only
	comments  string
	succeeded bool
}

// recordedExchanges covers the writes of the Authoring API, Pages, the
// legacy GraphQL endpoint and the ItemService, and the GraphQL forms a
// client may use to send them.
var recordedExchanges = []struct {
	file string
	ops  []wantOperation
}{
	// Authoring and Management API.
	{"authoring-create-item", []wantOperation{{events: []string{dispatch.EventItemAdded}, id: winterMenu, parentID: homeFolder, name: "winter-menu", language: "en", succeeded: true}}},
	{"authoring-update-item", []wantOperation{{events: []string{dispatch.EventItemSaved}, id: harbourFestival, parentID: homeFolder, name: "harbour-festival", language: "en", version: 2, succeeded: true}}},
	{"authoring-delete-item", []wantOperation{{events: deleteEvents, id: harbourFestival, succeeded: true}}},
	{"authoring-delete-item-refused", []wantOperation{{events: deleteEvents, id: harbourFestival, succeeded: false}}},
	{"authoring-rename-item", []wantOperation{{events: []string{dispatch.EventItemRenamed}, id: harbourFestival, name: "harbour-festival-2025", succeeded: true}}},
	{"authoring-move-item", []wantOperation{{events: []string{dispatch.EventItemMoved}, id: teamOffsite, parentID: eventsFolder, name: "team-offsite", succeeded: true}}},
	{"authoring-copy-item", []wantOperation{{events: []string{dispatch.EventItemCopied}, id: offsiteCopy, sourceID: teamOffsite, parentID: eventsFolder, name: "team-offsite-copy", succeeded: true}}},
	{"authoring-add-item-version", []wantOperation{{events: []string{dispatch.EventItemVersionAdded}, id: harbourFestival, language: "en", version: 3, succeeded: true}}},
	{"authoring-delete-item-version", []wantOperation{{events: []string{dispatch.EventItemVersionRemoved}, id: harbourFestival, language: "en", version: 3, succeeded: true}}},
	{"authoring-execute-workflow-command", []wantOperation{{events: noEvents, id: harbourFestival, language: "en", version: 2, commandID: publishCommand, comments: "Checked by legal", succeeded: true}}},

	// Pages (Horizon) GraphQL.
	{"pages-execute-workflow-command", []wantOperation{{events: noEvents, id: harbourFestival, language: "en", version: 2, commandID: publishCommand, succeeded: true}}},
	{"pages-rename-item", []wantOperation{{events: []string{dispatch.EventItemRenamed}, id: harbourFestival, name: "harbour-festival-2025", language: "en", version: 2, succeeded: true}}},
	{"pages-move-item", []wantOperation{{events: []string{dispatch.EventItemMoved}, id: teamOffsite, parentID: eventsFolder, succeeded: true}}},
	{"pages-add-item-version", []wantOperation{{events: []string{dispatch.EventItemVersionAdded}, id: harbourFestival, language: "en", version: 3, succeeded: true}}},

	// Legacy GraphQL.
	{"legacy-create-item", []wantOperation{{events: []string{dispatch.EventItemAdded}, id: lighthouseTour, parentID: homeFolder, name: "lighthouse-tour", language: "en", succeeded: true}}},
	{"legacy-update-item", []wantOperation{{events: []string{dispatch.EventItemSaved}, id: lighthouseTour, language: "en", version: 1, succeeded: true}}},
	{"legacy-delete-item", []wantOperation{{events: deleteEvents, id: lighthouseTour, succeeded: true}}},

	// ItemService REST.
	{"itemservice-create", []wantOperation{{events: []string{dispatch.EventItemAdded}, id: harbourFestival, name: "harbour-festival", language: "en", succeeded: true}}},
	{"itemservice-update", []wantOperation{{events: []string{dispatch.EventItemSaved}, id: harbourFestival, language: "en", version: 1, succeeded: true}}},
	{"itemservice-delete", []wantOperation{{events: deleteEvents, id: harbourFestival, succeeded: true}}},

	// GraphQL forms: aliases, several mutations, operationName,
	// variables, fragments and a batched array.
	{"authoring-alias", []wantOperation{
		{events: []string{dispatch.EventItemRenamed}, id: harbourFestival, name: "harbour-festival-2025", succeeded: true},
		{events: []string{dispatch.EventItemRenamed}, id: teamOffsite, name: "team-offsite-2025", succeeded: true},
	}},
	{"authoring-two-mutations", []wantOperation{
		{events: []string{dispatch.EventItemAdded}, id: winterMenu, parentID: homeFolder, succeeded: true},
		{events: []string{dispatch.EventItemSaved}, id: harbourFestival, language: "en", version: 2, succeeded: true},
	}},
	{"authoring-operation-name", []wantOperation{{events: deleteEvents, id: teamOffsite, succeeded: true}}},
	{"authoring-variables", []wantOperation{{events: []string{dispatch.EventItemMoved}, id: teamOffsite, parentID: eventsFolder, succeeded: true}}},
	{"authoring-fragment", []wantOperation{{events: []string{dispatch.EventItemCopied}, id: offsiteCopy, sourceID: teamOffsite, parentID: eventsFolder, name: "team-offsite-copy", succeeded: true}}},
	{"authoring-batch", []wantOperation{
		{events: []string{dispatch.EventItemAdded}, id: winterMenu, parentID: homeFolder, succeeded: true},
		{events: deleteEvents, id: teamOffsite, succeeded: false},
	}},
}

// copiedSource returns the source item of an item:copied event, or nil.
func copiedSource(op *dispatch.Operation) *dispatch.Item {
	for _, e := range op.Events {
		if e.Name == dispatch.EventItemCopied {
			return e.Source
		}
	}
	return nil
}

// TestRecordedExchangesClassifyAsDocumented checks the events, item ids
// and success of every recorded mutation.
func TestRecordedExchangesClassifyAsDocumented(t *testing.T) {
	for _, tt := range recordedExchanges {
		t.Run(tt.file, func(t *testing.T) {
			ops := classifyExchange(t, tt.file)
			if len(ops) != len(tt.ops) {
				t.Fatalf("got %d operations, want %d", len(ops), len(tt.ops))
			}
			for i, want := range tt.ops {
				op := ops[i]
				var events []string
				for _, e := range op.Events {
					events = append(events, e.Name)
				}
				if !slices.Equal(events, want.events) {
					t.Errorf("operation %d: events %v, want %v", i, events, want.events)
				}
				if op.Item.ID != want.id {
					t.Errorf("operation %d: Item.ID = %q, want %q", i, op.Item.ID, want.id)
				}
				if op.Succeeded != want.succeeded {
					t.Errorf("operation %d: Succeeded = %v, want %v", i, op.Succeeded, want.succeeded)
				}
				if want.sourceID != "" {
					if src := copiedSource(op); src == nil || src.ID != want.sourceID {
						t.Errorf("operation %d: copied source = %+v, want id %s", i, src, want.sourceID)
					}
				}
				checkItemValues(t, fmt.Sprintf("operation %d", i), op.Item, want)
				if want.commandID != "" {
					if op.StatusChange == nil {
						t.Fatalf("operation %d: no status change, want command %s", i, want.commandID)
					}
					if got, err := dispatch.ParseGUID(op.StatusChange.CommandID); err != nil || got != want.commandID {
						t.Errorf("operation %d: CommandID = %q, want %s", i, op.StatusChange.CommandID, want.commandID)
					}
					if op.Comments != want.comments {
						t.Errorf("operation %d: Comments = %q, want %q", i, op.Comments, want.comments)
					}
				}
			}
		})
	}
}

func checkItemValues(t *testing.T, label string, it dispatch.Item, want wantOperation) {
	t.Helper()
	if want.parentID != "" && it.ParentID != want.parentID {
		t.Errorf("%s: ParentID = %q, want %q", label, it.ParentID, want.parentID)
	}
	if want.name != "" && it.Name != want.name {
		t.Errorf("%s: Name = %q, want %q", label, it.Name, want.name)
	}
	if want.language != "" && it.Language != want.language {
		t.Errorf("%s: Language = %q, want %q", label, it.Language, want.language)
	}
	if want.version != 0 && it.Version != want.version {
		t.Errorf("%s: Version = %d, want %d", label, it.Version, want.version)
	}
}

// searchIndexRefresh returns an event handler for every item event. Its id
// is given braced and upper case, so the payload shows whether it is sent
// in the payload form.
func searchIndexRefresh(t *testing.T, serialization string) *dispatch.Webhook {
	t.Helper()
	wh := &dispatch.Webhook{
		Name:          "Search index refresh",
		ID:            "{7F2EDC0D-AAA5-4D61-A07A-CD0B677BCD37}",
		URL:           "https://receiver.example/hooks/search",
		Serialization: serialization,
		Events:        dispatch.KnownEvents,
	}
	if err := wh.Prepare(dispatch.KindEventHandler, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return wh
}

// eventPayload is one event handler payload of a recorded exchange.
type eventPayload struct {
	label         string
	serialization string
	event         string
	want          wantOperation
	body          []byte
}

// eventPayloads encodes every event of every operation that succeeded in
// the recorded exchanges, in JSON and in XML.
func eventPayloads(t *testing.T) []eventPayload {
	t.Helper()
	var payloads []eventPayload
	for _, tt := range recordedExchanges {
		ops := classifyExchange(t, tt.file)
		for i, op := range ops {
			if !op.Succeeded || i >= len(tt.ops) {
				continue
			}
			for j, e := range op.Events {
				for _, serialization := range []string{"json", "xml"} {
					body, err := dispatch.EncodeEvent(searchIndexRefresh(t, serialization), op, j)
					if err != nil {
						t.Fatalf("%s: EncodeEvent %s: %v", tt.file, e.Name, err)
					}
					payloads = append(payloads, eventPayload{
						label:         fmt.Sprintf("%s/%d/%s/%s", tt.file, i, e.Name, serialization),
						serialization: serialization,
						event:         e.Name,
						want:          tt.ops[i],
						body:          body,
					})
				}
			}
		}
	}
	return payloads
}

// TestClassifiedEventsDecodeAsReceivers decodes the payload of every
// classified event into the receiver models and checks its values, its
// GUID spellings and its key order.
func TestClassifiedEventsDecodeAsReceivers(t *testing.T) {
	for _, p := range eventPayloads(t) {
		t.Run(p.label, func(t *testing.T) {
			receivermodel.CheckShapeInOrder(t, receivermodel.ReadShape(t, p.serialization, p.body), []string{
				"EventName", "Item", "Source", "Copy", "ParentID", "Changes", "OldParentID",
				"OldName", "OldValue", "WebhookItemId", "WebhookItemName",
			})

			got := receivermodel.Decode[receivermodel.Event](t, p.serialization, p.body)
			if got.EventName != p.event {
				t.Errorf("EventName = %q, want %q", got.EventName, p.event)
			}
			if got.WebhookItemID != uuid.MustParse("7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37") || got.WebhookItemName != "Search index refresh" {
				t.Errorf("webhook = %v %q", got.WebhookItemID, got.WebhookItemName)
			}

			item := got.Item
			if p.event == dispatch.EventItemCopied {
				item = got.Copy
				if got.Item != nil {
					t.Error("item:copied carries Item, want Source and Copy only")
				}
				if got.Source == nil || got.Source.ID != uuid.MustParse(p.want.sourceID) {
					t.Errorf("Source = %+v, want id %s", got.Source, p.want.sourceID)
				}
			}
			if item == nil {
				t.Fatal("the payload has no item")
			}
			checkReceiverItem(t, item, p.want)
		})
	}
}

func checkReceiverItem(t *testing.T, got *receivermodel.Item, want wantOperation) {
	t.Helper()
	if got.ID != uuid.MustParse(want.id) {
		t.Errorf("Id = %v, want %s", got.ID, want.id)
	}
	if want.parentID != "" && got.ParentID != uuid.MustParse(want.parentID) {
		t.Errorf("ParentId = %v, want %s", got.ParentID, want.parentID)
	}
	if want.name != "" && got.Name != want.name {
		t.Errorf("Name = %q, want %q", got.Name, want.name)
	}
	if want.language != "" && got.Language != want.language {
		t.Errorf("Language = %q, want %q", got.Language, want.language)
	}
	if want.version != 0 && got.Version != want.version {
		t.Errorf("Version = %d, want %d", got.Version, want.version)
	}
}

// eventProperties are the properties that Sitecore sends with an event
// besides Item. The jbe receiver iterates Changes.FieldChanges on
// item:saved, so it fails when Changes is null.
//
// NOTE: without enrichment a payload carries only what the traffic
// carries, so the deleted, moved, renamed and saved payloads lack these properties.
var eventProperties = map[string][]string{
	dispatch.EventItemDeleted: {"ParentID"},
	dispatch.EventItemMoved:   {"OldParentID"},
	dispatch.EventItemRenamed: {"OldName"},
	dispatch.EventItemSaved:   {"Changes"},
	dispatch.EventItemCopied:  {"Source", "Copy"},
}

// requiredItemKeys are the keys of Sitecore's Item object that an enriched
// payload carries. TemplateName is left out because Sitecore's payloads do
// not always carry it. Receivers fail on missing field arrays, because the
// jbe receiver calls Item.SharedFields.Single(...) and
// Item.VersionedFields.Single(...).
var requiredItemKeys = []string{
	"Language", "Version", "Id", "Name", "ParentId", "TemplateId",
	"MasterId", "SharedFields", "UnversionedFields", "VersionedFields",
}

// TestUnenrichedItemsInventNothing pins the contract of webhooks without
// enrichment: the payload carries what the request and the answer tell and
// no more. MasterId, which no request or answer carries, is absent rather
// than set to a made-up value; the enriched tests check the full shape.
func TestUnenrichedItemsInventNothing(t *testing.T) {
	for _, p := range eventPayloads(t) {
		if p.serialization != "json" {
			continue
		}
		t.Run(p.label, func(t *testing.T) {
			for _, obj := range receivermodel.ReadShape(t, "json", p.body).Objects {
				if !slices.Contains([]string{"Item", "Source", "Copy"}, obj.Member) {
					continue
				}
				if slices.Contains(obj.Keys, "MasterId") {
					t.Errorf("%s carries MasterId, which the traffic does not tell: %s", obj.Member, p.body)
				}
				if !slices.Contains(obj.Keys, "Id") {
					t.Errorf("%s lacks Id, which the traffic tells: %s", obj.Member, p.body)
				}
			}
		})
	}
}

// localizedContent is the workflow configured for the recorded workflow
// commands. Its ids are given in Sitecore's other spellings: 32 digits,
// braced upper case and dashed lower case.
func localizedContent(t *testing.T) *dispatch.Workflow {
	t.Helper()
	w := &dispatch.Workflow{
		Name: "Localized Content",
		States: []*dispatch.State{
			{Key: "editorial-review", ID: "4a7f4e309b6341a390160f7b7fb175d4", DisplayName: "Editorial review", Icon: "Office/16x16/document_check.png"},
			{Key: "published", ID: "{6D029DC9-65EF-4583-A323-AF611882395A}", DisplayName: "Published", Icon: "Office/16x16/check.png", Final: true},
		},
		Commands: []*dispatch.Command{{Name: "Publish", ID: publishCommand, From: "editorial-review", To: "published"}},
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	return w
}

// actionWebhook returns a submit action or validation action of the
// Publish command, or a submit action of the state when state is set.
func actionWebhook(t *testing.T, kind dispatch.Kind, serialization, state string) *dispatch.Webhook {
	t.Helper()
	wh := &dispatch.Webhook{
		Name:          "Notify translators",
		ID:            "31A32C7CEA4F466993F67FA0AF7A25DC",
		URL:           "https://receiver.example/hooks/translators",
		Serialization: serialization,
		Workflow:      "Localized Content",
		Command:       "Publish",
	}
	if state != "" {
		wh.Command, wh.State = "", state
	}
	if err := wh.Prepare(kind, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return wh
}

var (
	editorialReviewState = receivermodel.State{DisplayName: "Editorial review", Icon: "Office/16x16/document_check.png", StateID: "{4A7F4E30-9B63-41A3-9016-0F7B7FB175D4}"}
	publishedState       = receivermodel.State{DisplayName: "Published", FinalState: true, Icon: "Office/16x16/check.png", StateID: "{6D029DC9-65EF-4583-A323-AF611882395A}"}
)

func checkState(t *testing.T, label string, got *receivermodel.State, want receivermodel.State) {
	t.Helper()
	if got.IsNull() {
		t.Errorf("%s is null, want %q", label, want.DisplayName)
		return
	}
	if got.DisplayName != want.DisplayName || got.FinalState != want.FinalState || got.Icon != want.Icon || got.StateID != want.StateID {
		t.Errorf("%s = %+v, want %+v", label, *got, want)
	}
	if !receivermodel.StateIDForm.MatchString(got.StateID) {
		t.Errorf("%s.StateID = %q, want a braced upper-case GUID", label, got.StateID)
	}
}

// TestWorkflowCommandActionPayloads runs the recorded executeWorkflowCommand
// requests of the Authoring API and of Pages through the classifier, then
// encodes the submit and validation actions of the Publish command and of
// the state it leads to, as the handler does.
func TestWorkflowCommandActionPayloads(t *testing.T) {
	tests := []struct {
		file          string
		kind          dispatch.Kind
		state         string // the submit action's state, or "" for one on the command
		serialization string
		xmlRoot       string
		comments      []receivermodel.Comment
	}{
		{"authoring-execute-workflow-command", dispatch.KindValidationAction, "", "json", "", []receivermodel.Comment{{Key: "Comments", Value: "Checked by legal"}}},
		{"authoring-execute-workflow-command", dispatch.KindSubmitAction, "", "xml", "", []receivermodel.Comment{{Key: "Comments", Value: "Checked by legal"}}},
		{"authoring-execute-workflow-command", dispatch.KindSubmitAction, "published", "xml", "WorkflowAction", []receivermodel.Comment{{Key: "Comments", Value: "Checked by legal"}}},
		{"authoring-execute-workflow-command", dispatch.KindSubmitAction, "published", "json", "", []receivermodel.Comment{{Key: "Comments", Value: "Checked by legal"}}},
		{"pages-execute-workflow-command", dispatch.KindValidationAction, "", "xml", "", nil},
		{"pages-execute-workflow-command", dispatch.KindSubmitAction, "", "json", "", nil},
		{"pages-execute-workflow-command", dispatch.KindSubmitAction, "published", "json", "", nil},
		{"pages-execute-workflow-command", dispatch.KindSubmitAction, "published", "xml", "", nil},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s/%s%s/%s", tt.file, tt.kind, tt.serialization, tt.xmlRoot, tt.state)
		t.Run(name, func(t *testing.T) {
			ex := readExchange(t, tt.file)
			c := sitecore.New(sitecore.Config{})
			ops := classifyRequest(t, c, ex)
			if len(ops) != 1 || ops[0].StatusChange == nil {
				t.Fatalf("got %+v, want one workflow command", ops)
			}
			op := ops[0]
			if tt.kind == dispatch.KindSubmitAction {
				// Submit actions fire after the CMS reported success, but
				// validation actions run before the request is forwarded.
				c.Complete(ops, ex.status, ex.responseHeader, []byte(ex.responseBody))
				if !op.Succeeded {
					t.Fatal("Succeeded = false after the recorded response")
				}
			}

			w := localizedContent(t)
			transition := w.Match(op.StatusChange)
			if transition == nil || transition.Command == nil || transition.Command.Name != "Publish" {
				t.Fatalf("transition = %+v, want the Publish command", transition)
			}
			wh := actionWebhook(t, tt.kind, tt.serialization, tt.state)
			wh.XMLRoot = tt.xmlRoot
			body, err := dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: transition, OnState: tt.state != ""})
			if err != nil {
				t.Fatalf("EncodeAction: %v", err)
			}
			receivermodel.CheckShapeInOrder(t, receivermodel.ReadShape(t, tt.serialization, body), receivermodel.ActionKeyOrder)

			got := receivermodel.Decode[receivermodel.Action](t, tt.serialization, body)
			wantRoot := ""
			if tt.serialization == "xml" {
				wantRoot = cmp.Or(tt.xmlRoot, "data")
			}
			if got.XMLName.Local != wantRoot {
				t.Errorf("XML root = <%s>, want <%s>", got.XMLName.Local, wantRoot)
			}
			wantID := uuid.MustParse("31a32c7c-ea4f-4669-93f6-7fa0af7a25dc")
			if got.ActionID != wantID || got.WebhookItemID != wantID || got.ActionName != "Notify translators" || got.WebhookItemName != "Notify translators" {
				t.Errorf("action = %v %q, webhook = %v %q", got.ActionID, got.ActionName, got.WebhookItemID, got.WebhookItemName)
			}
			if !slices.Equal(got.Comments, tt.comments) {
				t.Errorf("Comments = %+v, want %+v", got.Comments, tt.comments)
			}
			if tt.serialization == "json" && got.Comments == nil {
				t.Error("Comments is null, want []")
			}
			if got.DataItem == nil {
				t.Fatal("DataItem is missing")
			}
			checkReceiverItem(t, got.DataItem, wantOperation{id: harbourFestival, language: "en", version: 2})
			if got.Message != "" || got.UserName != `sitecore\maria.lopez` || got.WorkflowName != "Localized Content" {
				t.Errorf("Message %q, UserName %q, WorkflowName %q", got.Message, got.UserName, got.WorkflowName)
			}
			if tt.state != "" {
				if !got.NextState.IsNull() {
					t.Errorf("NextState = %+v, want null for an action on a state", *got.NextState)
				}
			} else {
				checkState(t, "NextState", got.NextState, publishedState)
			}
			checkState(t, "PreviousState", got.PreviousState, editorialReviewState)
		})
	}
}

// enricher is the part of the classifier that reads the CMS for webhooks
// that turn on enrichment. The handler asserts it at run time, and so do
// these tests.
type enricher interface {
	EnrichBefore(op *dispatch.Operation) []dispatch.Lookup
	EnrichAfter(op *dispatch.Operation) []dispatch.Lookup
}

// applyRecordedReads passes testdata/reads/NAME.PHASE.json, a recorded
// response of the Authoring API's item query, to every lookup of one phase
// ("before" or "after" the write).
func applyRecordedReads(t *testing.T, name, phase string, op *dispatch.Operation, lookups []dispatch.Lookup) {
	t.Helper()
	if len(lookups) == 0 {
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", "reads", name+"."+phase+".json"))
	if err != nil {
		t.Fatalf("%s reads the item %s the write, but no read is recorded: %v", name, phase, err)
	}
	for _, l := range lookups {
		l.Apply(op, http.StatusOK, body)
	}
}

// enrichedOperations runs a recorded exchange as the handler does when a
// webhook turns on enrichment: the reads before forwarding, Complete, and
// the reads after the write.
func enrichedOperations(t *testing.T, name string) []*dispatch.Operation {
	t.Helper()
	ex := readExchange(t, name)
	c := sitecore.New(sitecore.Config{})
	e, ok := any(c).(enricher)
	if !ok {
		t.Fatal("the Sitecore classifier has no EnrichBefore and EnrichAfter methods")
	}

	ops := classifyRequest(t, c, ex)
	for _, op := range ops {
		applyRecordedReads(t, name, "before", op, e.EnrichBefore(op))
	}
	c.Complete(ops, ex.status, ex.responseHeader, []byte(ex.responseBody))
	for _, op := range ops {
		if op.Succeeded {
			applyRecordedReads(t, name, "after", op, e.EnrichAfter(op))
		}
	}
	return ops
}

// missingItemKeys returns, for every Item, Source, Copy or DataItem object
// of a payload, the keys of requiredItemKeys it lacks.
func missingItemKeys(shape receivermodel.Shape) []string {
	var missing []string
	for _, obj := range shape.Objects {
		if !slices.Contains([]string{"Item", "Source", "Copy", "DataItem"}, obj.Member) {
			continue
		}
		for _, key := range requiredItemKeys {
			if !slices.Contains(obj.Keys, key) {
				missing = append(missing, obj.Member+"."+key)
			}
		}
	}
	return missing
}

// TestEnrichedEventsCarrySitecoreShape runs recorded Authoring API writes
// with recorded reads of the item before and after the write, and checks
// that their payloads carry every property and Item key Sitecore sends.
func TestEnrichedEventsCarrySitecoreShape(t *testing.T) {
	const headline = "dd21f6ec-ad15-418a-be1a-a4db378ca1ff"
	tests := []struct {
		file  string
		check func(t *testing.T, got receivermodel.Event)
	}{
		{"authoring-create-item", nil},
		{"authoring-update-item", func(t *testing.T, got receivermodel.Event) {
			if got.Changes == nil || len(got.Changes.FieldChanges) != 1 {
				t.Fatalf("Changes = %+v, want the Headline change", got.Changes)
			}
			fc := got.Changes.FieldChanges[0]
			if fc.FieldID != uuid.MustParse(headline) || fc.Value != "Harbour festival returns in June" {
				t.Errorf("FieldChanges[0] = %v %q, want Headline with the new value", fc.FieldID, fc.Value)
			}
			if fc.OriginalValue == nil || *fc.OriginalValue != "Harbour festival returns" {
				t.Errorf("FieldChanges[0].OriginalValue = %v, want the value before the write", fc.OriginalValue)
			}
		}},
		{"authoring-delete-item", func(t *testing.T, got receivermodel.Event) {
			if got.EventName == dispatch.EventItemDeleted && got.ParentID != uuid.MustParse(homeFolder) {
				t.Errorf("ParentID = %v, want %s", got.ParentID, homeFolder)
			}
		}},
		{"authoring-rename-item", func(t *testing.T, got receivermodel.Event) {
			if got.OldName != "harbour-festival" {
				t.Errorf("OldName = %q, want harbour-festival", got.OldName)
			}
		}},
		{"authoring-move-item", func(t *testing.T, got receivermodel.Event) {
			if got.OldParentID != uuid.MustParse("7671197b-0dc0-414d-8d84-095ae535febf") {
				t.Errorf("OldParentID = %v, want the parent before the move", got.OldParentID)
			}
		}},
		{"authoring-copy-item", nil},
		{"authoring-add-item-version", func(t *testing.T, got receivermodel.Event) {
			if got.Item == nil || got.Item.Version != 3 {
				t.Errorf("Item = %+v, want version 3", got.Item)
			}
		}},
	}
	for _, tt := range tests {
		for _, serialization := range []string{"json", "xml"} {
			t.Run(tt.file+"/"+serialization, func(t *testing.T) {
				ops := enrichedOperations(t, tt.file)
				if len(ops) != 1 || !ops[0].Succeeded {
					t.Fatalf("got %+v, want one operation that succeeded", ops)
				}
				for i, e := range ops[0].Events {
					body, err := dispatch.EncodeEvent(searchIndexRefresh(t, serialization), ops[0], i)
					if err != nil {
						t.Fatalf("EncodeEvent %s: %v", e.Name, err)
					}
					shape := receivermodel.ReadShape(t, serialization, body)
					receivermodel.CheckShapeInOrder(t, shape, []string{
						"EventName", "Item", "Source", "Copy", "ParentID", "Changes", "OldParentID",
						"OldName", "OldValue", "WebhookItemId", "WebhookItemName",
					})
					if missing := missingItemKeys(shape); len(missing) > 0 {
						t.Errorf("%s payload lacks %v", e.Name, missing)
					}
					for _, key := range eventProperties[e.Name] {
						if !slices.Contains(shape.Objects[0].Keys, key) {
							t.Errorf("%s payload lacks %s", e.Name, key)
						}
					}

					got := receivermodel.Decode[receivermodel.Event](t, serialization, body)
					item := got.Item
					if e.Name == dispatch.EventItemCopied {
						item = got.Copy
					}
					if item == nil || len(item.VersionedFields)+len(item.UnversionedFields)+len(item.SharedFields) == 0 {
						t.Errorf("%s item has no fields, want the fields of the read", e.Name)
					}
					if tt.check != nil {
						tt.check(t, got)
					}
				}
			})
		}
	}
}

// TestEnrichedWorkflowActionDataItem checks that the validation action of a
// recorded workflow command carries the whole item as a recorded read
// returns it.
func TestEnrichedWorkflowActionDataItem(t *testing.T) {
	ops := enrichedOperations(t, "authoring-execute-workflow-command")
	if len(ops) != 1 || ops[0].StatusChange == nil {
		t.Fatalf("got %+v, want one workflow command", ops)
	}
	w := localizedContent(t)
	body, err := dispatch.EncodeAction(actionWebhook(t, dispatch.KindValidationAction, "json", ""), dispatch.ActionRequest{Op: ops[0], Transition: w.Match(ops[0].StatusChange)})
	if err != nil {
		t.Fatalf("EncodeAction: %v", err)
	}
	if missing := missingItemKeys(receivermodel.ReadShape(t, "json", body)); len(missing) > 0 {
		t.Errorf("payload lacks %v", missing)
	}

	got := receivermodel.Decode[receivermodel.Action](t, "json", body)
	if got.DataItem == nil {
		t.Fatal("DataItem is missing")
	}
	checkReceiverItem(t, got.DataItem, wantOperation{id: harbourFestival, parentID: homeFolder, name: "harbour-festival", language: "en", version: 2})
	if got.DataItem.TemplateID != uuid.MustParse("5cdb13e9-295a-4473-8f44-3fd03d3d4740") || got.DataItem.TemplateName != "News Article" {
		t.Errorf("DataItem template = %v %q", got.DataItem.TemplateID, got.DataItem.TemplateName)
	}
}

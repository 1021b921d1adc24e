package dispatch_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
	"github.com/cmshooks/caddy-cms-webhooks/internal/receivermodel"
)

// The fidelity tests decode payloads the way receivers written for
// Sitecore do, into the typed models of internal/receivermodel, and check
// every value, the key order and the GUID spellings that Sitecore sends.
// caddymodule/sitecore/fidelity_test.go uses the same models and runs the
// real classifier in front of the encoder.

// Ids of Sitecore's published payload examples, which these tests reuse.
const (
	newsArticleTemplate = "5cdb13e9-295a-4473-8f44-3fd03d3d4740"
	homeFolder          = "0db0ce8c-77a3-4969-903f-138c626483d1"
	noBranch            = "00000000-0000-0000-0000-000000000000"
	headlineField       = "dd21f6ec-ad15-418a-be1a-a4db378ca1ff"
)

// harbourFestival returns an item whose field values carry HTML, an
// ampersand and a multilist, which must arrive unchanged.
func harbourFestival() dispatch.Item {
	return dispatch.Item{
		Language:     "en",
		Version:      3,
		ID:           "89169dfe-e040-4376-9d86-ba2d17f0612b",
		Name:         "harbour-festival",
		ParentID:     homeFolder,
		TemplateID:   newsArticleTemplate,
		TemplateName: "News Article",
		MasterID:     noBranch,
		SharedFields: []dispatch.Field{{
			ID:    "c846c69f-b91d-43e5-b4cc-b23b089b0e6f",
			Value: "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}|{AF48E28B-4D4E-47CD-A06B-AA41E4AA7C1D}",
		}},
		UnversionedFields: []dispatch.Field{{
			ID:       "863e9885-6402-4102-ac36-0de8bc505f15",
			Value:    "Harbour & fireworks",
			Language: "en",
		}},
		VersionedFields: []dispatch.Field{{
			ID:       headlineField,
			Value:    `<p class="lead">Harbour festival returns in June</p>`,
			Version:  3,
			Language: "en",
		}},
	}
}

// checkReceiverItem compares every property of a decoded item with the
// item the operation carried.
func checkReceiverItem(t *testing.T, label string, got *receivermodel.Item, want dispatch.Item) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing", label)
		return
	}
	scalars := []struct {
		name      string
		got, want any
	}{
		{"Language", got.Language, want.Language},
		{"Version", got.Version, want.Version},
		{"Id", got.ID, uuid.MustParse(want.ID)},
		{"Name", got.Name, want.Name},
		{"ParentId", got.ParentID, uuid.MustParse(want.ParentID)},
		{"TemplateId", got.TemplateID, uuid.MustParse(want.TemplateID)},
		{"TemplateName", got.TemplateName, want.TemplateName},
		{"MasterId", got.MasterID, uuid.MustParse(want.MasterID)},
	}
	for _, s := range scalars {
		if s.got != s.want {
			t.Errorf("%s.%s = %v, want %v", label, s.name, s.got, s.want)
		}
	}

	if len(got.SharedFields) != len(want.SharedFields) {
		t.Errorf("%s.SharedFields has %d fields, want %d", label, len(got.SharedFields), len(want.SharedFields))
	}
	for i := range min(len(got.SharedFields), len(want.SharedFields)) {
		g, w := got.SharedFields[i], want.SharedFields[i]
		if g.ID != uuid.MustParse(w.ID) || g.Value != w.Value {
			t.Errorf("%s.SharedFields[%d] = %+v, want %+v", label, i, g, w)
		}
	}
	checkReceiverFields(t, label+".UnversionedFields", got.UnversionedFields, want.UnversionedFields)
	checkReceiverFields(t, label+".VersionedFields", got.VersionedFields, want.VersionedFields)
}

func checkReceiverFields(t *testing.T, label string, got []receivermodel.VersionedField, want []dispatch.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d fields, want %d", label, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		version := 0
		if g.Version != nil {
			version = *g.Version
		}
		if g.ID != uuid.MustParse(w.ID) || g.Value != w.Value || g.Language != w.Language || version != w.Version {
			t.Errorf("%s[%d] = {%v %q %q version %d}, want %+v", label, i, g.ID, g.Value, g.Language, version, w)
		}
		if w.Version == 0 && g.Version != nil {
			t.Errorf("%s[%d] has a Version, which unversioned fields lack", label, i)
		}
	}
}

func preparedWebhook(t *testing.T, kind dispatch.Kind, wh dispatch.Webhook) *dispatch.Webhook {
	t.Helper()
	if err := wh.Prepare(kind, nil); err != nil {
		t.Fatalf("Prepare %s %q: %v", kind, wh.Name, err)
	}
	return &wh
}

// eventHandler returns an event handler whose id is given braced and upper
// case, so the payload shows whether it is sent in the payload form.
func eventHandler(t *testing.T, serialization string) *dispatch.Webhook {
	return preparedWebhook(t, dispatch.KindEventHandler, dispatch.Webhook{
		Name:          "Search index refresh",
		ID:            "{7F2EDC0D-AAA5-4D61-A07A-CD0B677BCD37}",
		URL:           "https://receiver.example/hooks/search",
		Serialization: serialization,
		Events:        dispatch.KnownEvents,
	})
}

// TestEventPayloadsDecodeAsReceiverModels encodes one payload per item
// event in JSON and XML and reads it back through the receiver models.
func TestEventPayloadsDecodeAsReceiverModels(t *testing.T) {
	festival := harbourFestival()
	copied := harbourFestival()
	copied.ID, copied.Name, copied.ParentID = "c2b9b3f0-5d6e-4f7a-9a41-3e2d7c8b1f60", "harbour-festival-copy", "2f79f241-3b6c-4f01-9b8c-0ab17df82432"
	newVersion := harbourFestival()
	newVersion.Version = 4
	oldHeadline := "<p>Harbour festival coming soon</p>"

	withItem := []string{"EventName", "Item", "WebhookItemId", "WebhookItemName"}
	tests := []struct {
		event dispatch.Event
		item  dispatch.Item
		keys  []string
		check func(t *testing.T, serialization string, got receivermodel.Event)
	}{
		{event: dispatch.Event{Name: dispatch.EventItemAdded}, item: festival, keys: withItem},
		{
			event: dispatch.Event{Name: dispatch.EventItemSaved, Changes: &dispatch.Changes{
				FieldChanges:              []dispatch.FieldChange{{FieldID: headlineField, Value: festival.VersionedFields[0].Value, OriginalValue: &oldHeadline}},
				IsUnversionedFieldChanged: false,
				IsSharedFieldChanged:      false,
			}},
			item: festival,
			keys: []string{"EventName", "Item", "Changes", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, serialization string, got receivermodel.Event) {
				c := got.Changes
				if c == nil {
					t.Fatal("Changes is missing")
				}
				if len(c.FieldChanges) != 1 {
					t.Fatalf("FieldChanges = %+v, want one change", c.FieldChanges)
				}
				fc := c.FieldChanges[0]
				if fc.FieldID != uuid.MustParse(headlineField) || fc.Value != festival.VersionedFields[0].Value {
					t.Errorf("FieldChanges[0] = %v %q", fc.FieldID, fc.Value)
				}
				if fc.OriginalValue == nil || *fc.OriginalValue != oldHeadline {
					t.Errorf("FieldChanges[0].OriginalValue = %v, want %q", fc.OriginalValue, oldHeadline)
				}
				if serialization == "json" && c.PropertyChanges == nil {
					t.Error("PropertyChanges is null, want []")
				}
				if c.IsUnversionedFieldChanged || c.IsSharedFieldChanged {
					t.Errorf("Is...Changed = %v %v, want false false", c.IsUnversionedFieldChanged, c.IsSharedFieldChanged)
				}
			},
		},
		{
			event: dispatch.Event{Name: dispatch.EventItemDeleted},
			item:  festival,
			keys:  []string{"EventName", "Item", "ParentID", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, _ string, got receivermodel.Event) {
				if got.ParentID != uuid.MustParse(homeFolder) {
					t.Errorf("ParentID = %v, want %s", got.ParentID, homeFolder)
				}
			},
		},
		{event: dispatch.Event{Name: dispatch.EventItemDeleting}, item: festival, keys: withItem},
		{
			event: dispatch.Event{Name: dispatch.EventItemMoved, OldParentID: "7671197b-0dc0-414d-8d84-095ae535febf"},
			item:  festival,
			keys:  []string{"EventName", "Item", "OldParentID", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, _ string, got receivermodel.Event) {
				if got.OldParentID != uuid.MustParse("7671197b-0dc0-414d-8d84-095ae535febf") {
					t.Errorf("OldParentID = %v", got.OldParentID)
				}
			},
		},
		{
			event: dispatch.Event{Name: dispatch.EventItemRenamed, OldName: "harbour-festival-2024"},
			item:  festival,
			keys:  []string{"EventName", "Item", "OldName", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, _ string, got receivermodel.Event) {
				if got.OldName != "harbour-festival-2024" {
					t.Errorf("OldName = %q, want harbour-festival-2024", got.OldName)
				}
			},
		},
		{
			event: dispatch.Event{Name: dispatch.EventItemCopied, Source: &festival},
			item:  copied,
			keys:  []string{"EventName", "Source", "Copy", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, _ string, got receivermodel.Event) {
				checkReceiverItem(t, "Source", got.Source, festival)
				checkReceiverItem(t, "Copy", got.Copy, copied)
			},
		},
		{event: dispatch.Event{Name: dispatch.EventItemVersionAdded}, item: newVersion, keys: withItem},
		{event: dispatch.Event{Name: dispatch.EventItemVersionRemoved}, item: festival, keys: withItem},
	}
	for _, tt := range tests {
		for _, serialization := range []string{"json", "xml"} {
			t.Run(tt.event.Name+"/"+serialization, func(t *testing.T) {
				wh := eventHandler(t, serialization)
				op := &dispatch.Operation{Item: tt.item, Events: []dispatch.Event{tt.event}}
				body, err := dispatch.EncodeEvent(wh, op, 0)
				if err != nil {
					t.Fatalf("EncodeEvent: %v", err)
				}
				receivermodel.CheckShape(t, receivermodel.ReadShape(t, serialization, body), tt.keys)

				got := receivermodel.Decode[receivermodel.Event](t, serialization, body)
				if got.EventName != tt.event.Name {
					t.Errorf("EventName = %q, want %q", got.EventName, tt.event.Name)
				}
				if got.WebhookItemID != uuid.MustParse("7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37") || got.WebhookItemName != "Search index refresh" {
					t.Errorf("webhook = %v %q", got.WebhookItemID, got.WebhookItemName)
				}
				if tt.event.Name != dispatch.EventItemCopied {
					checkReceiverItem(t, "Item", got.Item, tt.item)
				}
				if tt.check != nil {
					tt.check(t, serialization, got)
				}
			})
		}
	}
}

// localizedContent is the workflow of examples C and D. The state ids are
// given in two of Sitecore's spellings, 32 digits and dashed lower case.
func localizedContent(t *testing.T) *dispatch.Workflow {
	t.Helper()
	w := &dispatch.Workflow{
		Name: "Localized Content",
		States: []*dispatch.State{
			{Key: "editorial-review", ID: "4a7f4e309b6341a390160f7b7fb175d4", DisplayName: "Editorial review", Icon: "Office/16x16/document_check.png"},
			{Key: "published", ID: "6d029dc9-65ef-4583-a323-af611882395a", DisplayName: "Published", Icon: "Office/16x16/check.png", Final: true},
		},
		Commands: []*dispatch.Command{
			{Name: "Publish", ID: "ea901431-6162-4769-94c3-edad1ad59fc8", From: "editorial-review", To: "published"},
		},
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	return w
}

// plainWorkflow has states without Sitecore ids, as a workflow written
// for another CMS has.
func plainWorkflow(t *testing.T) *dispatch.Workflow {
	t.Helper()
	w := &dispatch.Workflow{
		Name:     "Review",
		States:   []*dispatch.State{{Key: "draft", DisplayName: "Draft"}, {Key: "approved", DisplayName: "Approved", Final: true}},
		Commands: []*dispatch.Command{{Name: "Approve", ID: "{3B1D6A1E-0C5F-4E8B-9D2A-7F4C1E0B9A63}", From: "draft", To: "approved"}},
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	return w
}

type wantState struct {
	displayName string
	final       bool
	icon        string
	stateID     string
}

var (
	editorialReview = wantState{"Editorial review", false, "Office/16x16/document_check.png", "{4A7F4E30-9B63-41A3-9016-0F7B7FB175D4}"}
	publishedState  = wantState{"Published", true, "Office/16x16/check.png", "{6D029DC9-65EF-4583-A323-AF611882395A}"}
)

func checkReceiverState(t *testing.T, label string, got *receivermodel.State, want wantState, braced bool) {
	t.Helper()
	if got.IsNull() {
		t.Errorf("%s is null, want %q", label, want.displayName)
		return
	}
	if got.DisplayName != want.displayName || got.FinalState != want.final || got.Icon != want.icon || got.StateID != want.stateID {
		t.Errorf("%s = %+v, want %+v", label, *got, want)
	}
	if braced && !receivermodel.StateIDForm.MatchString(got.StateID) {
		t.Errorf("%s.StateID = %q, want a braced upper-case GUID", label, got.StateID)
	}
}

// TestActionPayloadsDecodeAsReceiverModels encodes submit action and
// validation action payloads in JSON and XML, with both XML roots, and
// reads them back through the receiver models.
func TestActionPayloadsDecodeAsReceiverModels(t *testing.T) {
	tests := []struct {
		name     string
		kind     dispatch.Kind
		workflow func(*testing.T) *dispatch.Workflow
		command  string // command id in the request
		state    string // the submit action's state, or "" for one on the command
		comments string
		next     *wantState // nil for a null NextState
		previous wantState
		braced   bool // whether StateID must be a braced GUID
	}{
		{name: "submit on command with comment", kind: dispatch.KindSubmitAction, workflow: localizedContent, command: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}", comments: "Checked by legal", next: &publishedState, previous: editorialReview, braced: true},
		{name: "submit on command without comment", kind: dispatch.KindSubmitAction, workflow: localizedContent, command: "EA9014316162476994C3EDAD1AD59FC8", next: &publishedState, previous: editorialReview, braced: true},
		{name: "submit on state with comment", kind: dispatch.KindSubmitAction, workflow: localizedContent, command: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}", state: "published", comments: "Ready for German and French", previous: editorialReview, braced: true},
		{name: "submit on state without comment", kind: dispatch.KindSubmitAction, workflow: localizedContent, command: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}", state: "published", previous: editorialReview, braced: true},
		{name: "validation with comment", kind: dispatch.KindValidationAction, workflow: localizedContent, command: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}", comments: "Alt texts added", next: &publishedState, previous: editorialReview, braced: true},
		{name: "validation without comment", kind: dispatch.KindValidationAction, workflow: localizedContent, command: "ea901431-6162-4769-94c3-edad1ad59fc8", next: &publishedState, previous: editorialReview, braced: true},
		{name: "states without ids", kind: dispatch.KindValidationAction, workflow: plainWorkflow, command: "{3B1D6A1E-0C5F-4E8B-9D2A-7F4C1E0B9A63}", next: &wantState{"Approved", true, "", "approved"}, previous: wantState{"Draft", false, "", "draft"}},
	}
	for _, tt := range tests {
		for _, format := range []struct{ serialization, xmlRoot, wantRoot string }{
			{"json", "", ""},
			{"xml", "", "data"},
			{"xml", "WorkflowAction", "WorkflowAction"},
		} {
			name := tt.name + "/" + format.serialization + format.xmlRoot
			t.Run(name, func(t *testing.T) {
				w := tt.workflow(t)
				wh := dispatch.Webhook{
					Name:          "Check alt texts",
					ID:            "{6C7DA356-CBB4-4A1C-A685-219FF092D914}",
					URL:           "https://receiver.example/hooks/alt-texts",
					Serialization: format.serialization,
					XMLRoot:       format.xmlRoot,
					Workflow:      w.Name,
					Command:       w.Commands[0].Name,
				}
				if tt.state != "" {
					wh.Command, wh.State = "", tt.state
				}
				hook := preparedWebhook(t, tt.kind, wh)

				op := &dispatch.Operation{
					Item:         harbourFestival(),
					StatusChange: &dispatch.StatusChange{CommandID: tt.command},
					UserName:     `sitecore\maria.lopez`,
					Comments:     tt.comments,
				}
				transition := w.Match(op.StatusChange)
				if transition == nil || transition.Command == nil {
					t.Fatalf("command %s matches no command of %q", tt.command, w.Name)
				}
				body, err := dispatch.EncodeAction(hook, dispatch.ActionRequest{Op: op, Transition: transition, OnState: tt.state != ""})
				if err != nil {
					t.Fatalf("EncodeAction: %v", err)
				}
				receivermodel.CheckShape(t, receivermodel.ReadShape(t, format.serialization, body), receivermodel.ActionKeyOrder)

				got := receivermodel.Decode[receivermodel.Action](t, format.serialization, body)
				if got.XMLName.Local != format.wantRoot {
					t.Errorf("XML root = <%s>, want <%s>", got.XMLName.Local, format.wantRoot)
				}
				wantID := uuid.MustParse("6c7da356-cbb4-4a1c-a685-219ff092d914")
				if got.ActionID != wantID || got.WebhookItemID != wantID || got.ActionName != "Check alt texts" || got.WebhookItemName != "Check alt texts" {
					t.Errorf("action = %v %q, webhook = %v %q", got.ActionID, got.ActionName, got.WebhookItemID, got.WebhookItemName)
				}
				var wantComments []receivermodel.Comment
				if tt.comments != "" {
					wantComments = []receivermodel.Comment{{Key: "Comments", Value: tt.comments}}
				}
				if len(got.Comments) != len(wantComments) || (len(wantComments) > 0 && got.Comments[0] != wantComments[0]) {
					t.Errorf("Comments = %+v, want %+v", got.Comments, wantComments)
				}
				if format.serialization == "json" && got.Comments == nil {
					t.Error("Comments is null, want []")
				}
				checkReceiverItem(t, "DataItem", got.DataItem, harbourFestival())
				if got.Message != "" || got.UserName != `sitecore\maria.lopez` || got.WorkflowName != w.Name {
					t.Errorf("Message %q, UserName %q, WorkflowName %q", got.Message, got.UserName, got.WorkflowName)
				}
				if tt.next == nil {
					if !got.NextState.IsNull() {
						t.Errorf("NextState = %+v, want null", *got.NextState)
					}
				} else {
					checkReceiverState(t, "NextState", got.NextState, *tt.next, tt.braced)
				}
				checkReceiverState(t, "PreviousState", got.PreviousState, tt.previous, tt.braced)
			})
		}
	}
}

// TestContractExamplesMatchEncodedPayloads rebuilds the payload examples in
// testdata/fidelity (item:saved, item:moved, a submit action on a state and
// a validation action on a command) from their values, and compares each
// payload with its example value by value and key by key.
//
// NOTE: the item:moved and action examples send empty field arrays ([]),
// which dispatch.Item drops while its field tags use omitempty.
func TestContractExamplesMatchEncodedPayloads(t *testing.T) {
	festival := harbourFestival()
	festival.SharedFields = []dispatch.Field{}
	festival.UnversionedFields = []dispatch.Field{}
	festival.VersionedFields = []dispatch.Field{}

	tests := []struct {
		file   string
		encode func(t *testing.T) ([]byte, error)
	}{
		{"example-a-item-saved.json", func(t *testing.T) ([]byte, error) {
			wh := preparedWebhook(t, dispatch.KindEventHandler, dispatch.Webhook{
				Name: "Search index refresh", ID: "7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37",
				URL: "https://receiver.example/hooks/search", Events: []string{dispatch.EventItemSaved},
			})
			original := "Spring sale coming soon"
			op := &dispatch.Operation{Item: dispatch.Item{
				Language: "en", Version: 2, ID: "79bf28f5-cb7b-4de4-9969-d294b7b33fcb", Name: "spring-campaign",
				ParentID: homeFolder, TemplateID: "b4b148a6-a705-44f2-b6eb-31eb7e41ff6a",
				TemplateName: "Article Page", MasterID: noBranch,
				SharedFields:      []dispatch.Field{{ID: "c846c69f-b91d-43e5-b4cc-b23b089b0e6f", Value: "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}|{AF48E28B-4D4E-47CD-A06B-AA41E4AA7C1D}"}},
				UnversionedFields: []dispatch.Field{{ID: "863e9885-6402-4102-ac36-0de8bc505f15", Value: "Seasonal offers", Language: "en"}},
				VersionedFields:   []dispatch.Field{{ID: headlineField, Value: "Spring sale starts Monday", Version: 2, Language: "en"}},
			}}
			op.AddEvent(dispatch.Event{Name: dispatch.EventItemSaved, Changes: &dispatch.Changes{
				FieldChanges: []dispatch.FieldChange{{FieldID: headlineField, Value: "Spring sale starts Monday", OriginalValue: &original}},
			}})
			return dispatch.EncodeEvent(wh, op, 0)
		}},
		{"example-b-item-moved.json", func(t *testing.T) ([]byte, error) {
			wh := preparedWebhook(t, dispatch.KindEventHandler, dispatch.Webhook{
				Name: "Sitemap sync", ID: "28742bdd-f40c-46ca-96e5-fcd454720ef3",
				URL: "https://receiver.example/hooks/sitemap", Events: []string{dispatch.EventItemMoved},
			})
			op := &dispatch.Operation{Item: dispatch.Item{
				Language: "en", Version: 1, ID: "4a91826a-ccf8-4738-b539-eed720875f02", Name: "team-offsite",
				ParentID: "2f79f241-3b6c-4f01-9b8c-0ab17df82432", TemplateID: "2d068eae-03bc-4850-8b65-09a95aeeaf5a",
				TemplateName: "Event", MasterID: noBranch,
				SharedFields: []dispatch.Field{}, UnversionedFields: []dispatch.Field{}, VersionedFields: []dispatch.Field{},
			}}
			op.AddEvent(dispatch.Event{Name: dispatch.EventItemMoved, OldParentID: "7671197b-0dc0-414d-8d84-095ae535febf"})
			return dispatch.EncodeEvent(wh, op, 0)
		}},
		{"example-c-submit-on-state.json", func(t *testing.T) ([]byte, error) {
			w := localizedContent(t)
			wh := preparedWebhook(t, dispatch.KindSubmitAction, dispatch.Webhook{
				Name: "Notify translators", ID: "31a32c7c-ea4f-4669-93f6-7fa0af7a25dc",
				URL: "https://receiver.example/hooks/translators", Workflow: w.Name, State: "published",
			})
			op := &dispatch.Operation{
				Item: festival, UserName: `sitecore\maria.lopez`, Comments: "Ready for German and French",
				StatusChange: &dispatch.StatusChange{CommandID: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}"},
			}
			return dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: w.Match(op.StatusChange), OnState: true})
		}},
		{"example-d-validation-on-command.json", func(t *testing.T) ([]byte, error) {
			w := localizedContent(t)
			wh := preparedWebhook(t, dispatch.KindValidationAction, dispatch.Webhook{
				Name: "Check alt texts", ID: "6c7da356-cbb4-4a1c-a685-219ff092d914",
				URL: "https://receiver.example/hooks/alt-texts", Workflow: w.Name, Command: "Publish",
			})
			op := &dispatch.Operation{
				Item: festival, UserName: `sitecore\tom.berg`,
				StatusChange: &dispatch.StatusChange{CommandID: "{EA901431-6162-4769-94C3-EDAD1AD59FC8}"},
			}
			return dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: w.Match(op.StatusChange)})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "fidelity", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.encode(t)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}

			gotShape, wantShape := receivermodel.ReadShape(t, "json", got), receivermodel.ReadShape(t, "json", want)
			if !reflect.DeepEqual(gotShape.Objects, wantShape.Objects) {
				t.Errorf("keys differ from the example:\n got  %v\n want %v", gotShape.Objects, wantShape.Objects)
			}
			if !reflect.DeepEqual(gotShape.Values, wantShape.Values) {
				t.Errorf("values differ from the example:\n got  %v\n want %v", gotShape.Values, wantShape.Values)
			}
		})
	}
}

// TestContentTypeHasNoParameters pins the Content-Type values, which
// receivers compare literally.
func TestContentTypeHasNoParameters(t *testing.T) {
	tests := []struct {
		serialization string
		want          string
	}{
		{"", "application/json"},
		{"json", "application/json"},
		{"xml", "application/xml"},
	}
	for _, tt := range tests {
		for _, kind := range []dispatch.Kind{dispatch.KindEventHandler, dispatch.KindSubmitAction, dispatch.KindValidationAction} {
			t.Run(string(kind)+"/"+tt.serialization, func(t *testing.T) {
				wh := dispatch.Webhook{Name: "Content type", URL: "https://receiver.example/hooks", Serialization: tt.serialization}
				switch kind {
				case dispatch.KindEventHandler:
					wh.Events = []string{dispatch.EventItemSaved}
				default:
					wh.Command = "Publish"
				}
				if got := preparedWebhook(t, kind, wh).ContentType(); got != tt.want {
					t.Errorf("ContentType() = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

package dispatch

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// payloadGUID is the GUID form that Sitecore payloads use: 36 characters,
// lower case, dashed, no braces.
var payloadGUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// objectKeys returns the keys of the JSON object in data in document order,
// read token by token, because decoding into a map loses the order.
func objectKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		t.Fatalf("reading JSON %s: %v", data, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		t.Fatalf("expected a JSON object, got %s", data)
	}

	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading key of %s: %v", data, err)
		}
		keys = append(keys, tok.(string))
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("reading value of key %q: %v", tok, err)
		}
	}
	return keys
}

// member returns the raw JSON value of key in the object data. It fails the
// test when the key is missing.
func member(t *testing.T, data []byte, key string) json.RawMessage {
	t.Helper()
	var object map[string]json.RawMessage
	if err := json.Unmarshal(data, &object); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	value, ok := object[key]
	if !ok {
		t.Fatalf("key %q missing from %s", key, data)
	}
	return value
}

// stringMember returns the string value of key in the object data.
func stringMember(t *testing.T, data []byte, key string) string {
	t.Helper()
	var s string
	raw := member(t, data, key)
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("key %q: expected a JSON string, got %s", key, raw)
	}
	return s
}

func checkKeys(t *testing.T, label string, data []byte, want []string) {
	t.Helper()
	if got := objectKeys(t, data); !slices.Equal(got, want) {
		t.Errorf("%s keys:\n got  %v\n want %v", label, got, want)
	}
}

// checkKeysInOrder checks that every key of the object data is listed in
// order and that the keys follow that order. A listed key may be absent.
func checkKeysInOrder(t *testing.T, label string, data []byte, order []string) {
	t.Helper()
	next := 0
	for _, key := range objectKeys(t, data) {
		i := slices.Index(order[next:], key)
		if i < 0 {
			t.Errorf("%s: key %q is unknown or out of order (want order %v)", label, key, order)
			return
		}
		next += i + 1
	}
}

// itemKeys is the key order of the Item object in Sitecore payloads.
var itemKeys = []string{
	"Language", "Version", "Id", "Name", "ParentId", "TemplateId", "TemplateName",
	"MasterId", "SharedFields", "UnversionedFields", "VersionedFields",
}

// springCampaign is the item of the item:saved example in the Sitecore
// contract, with HTML in a field value.
func springCampaign() Item {
	return Item{
		Language:     "en",
		Version:      2,
		ID:           "79bf28f5-cb7b-4de4-9969-d294b7b33fcb",
		Name:         "spring-campaign",
		ParentID:     "0db0ce8c-77a3-4969-903f-138c626483d1",
		TemplateID:   "b4b148a6-a705-44f2-b6eb-31eb7e41ff6a",
		TemplateName: "Article Page",
		MasterID:     "00000000-0000-0000-0000-000000000000",
		SharedFields: []Field{{
			ID:    "c846c69f-b91d-43e5-b4cc-b23b089b0e6f",
			Value: "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}|{AF48E28B-4D4E-47CD-A06B-AA41E4AA7C1D}",
		}},
		UnversionedFields: []Field{{
			ID:       "863e9885-6402-4102-ac36-0de8bc505f15",
			Value:    "Seasonal offers",
			Language: "en",
		}},
		VersionedFields: []Field{{
			ID:       "dd21f6ec-ad15-418a-be1a-a4db378ca1ff",
			Value:    `<p class="lead">Spring sale starts Monday & ends Friday</p>`,
			Version:  2,
			Language: "en",
		}},
	}
}

func preparedEventHandler(t *testing.T) *Webhook {
	t.Helper()
	wh := &Webhook{
		Name:   "Search index refresh",
		ID:     "{7F2EDC0D-AAA5-4D61-A07A-CD0B677BCD37}",
		URL:    "https://receiver.example/hooks/search",
		Events: KnownEvents,
	}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return wh
}

func TestEncodeEventKeysPerEvent(t *testing.T) {
	original := "Spring sale coming soon"
	copySource := springCampaign()
	copySource.ID = "4a91826a-ccf8-4738-b539-eed720875f02"
	copySource.Name = "spring-campaign-template"

	tests := []struct {
		name     string
		event    Event
		wantKeys []string
		check    func(t *testing.T, body []byte)
	}{
		{
			name: "item:saved carries Changes",
			event: Event{Name: EventItemSaved, Changes: &Changes{
				FieldChanges: []FieldChange{{
					FieldID:       "dd21f6ec-ad15-418a-be1a-a4db378ca1ff",
					Value:         "Spring sale starts Monday",
					OriginalValue: &original,
				}},
				PropertyChanges: []any{},
			}},
			wantKeys: []string{"EventName", "Item", "Changes", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, body []byte) {
				changes := member(t, body, "Changes")
				checkKeys(t, "Changes", changes, []string{
					"FieldChanges", "PropertyChanges", "IsUnversionedFieldChanged", "IsSharedFieldChanged",
				})
				if got := string(member(t, changes, "PropertyChanges")); got != "[]" {
					t.Errorf("PropertyChanges = %s, want []", got)
				}
				var fieldChanges []json.RawMessage
				if err := json.Unmarshal(member(t, changes, "FieldChanges"), &fieldChanges); err != nil || len(fieldChanges) != 1 {
					t.Fatalf("FieldChanges = %s, want one element (err %v)", member(t, changes, "FieldChanges"), err)
				}
				checkKeys(t, "FieldChanges element", fieldChanges[0], []string{"FieldId", "Value", "OriginalValue"})
				if got := stringMember(t, fieldChanges[0], "OriginalValue"); got != original {
					t.Errorf("OriginalValue = %q, want %q", got, original)
				}
			},
		},
		{
			name:     "item:deleted carries ParentID",
			event:    Event{Name: EventItemDeleted},
			wantKeys: []string{"EventName", "Item", "ParentID", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, body []byte) {
				if got := stringMember(t, body, "ParentID"); got != "0db0ce8c-77a3-4969-903f-138c626483d1" {
					t.Errorf("ParentID = %q, want the item's parent", got)
				}
			},
		},
		{
			name:     "item:moved carries OldParentID",
			event:    Event{Name: EventItemMoved, OldParentID: "7671197b-0dc0-414d-8d84-095ae535febf"},
			wantKeys: []string{"EventName", "Item", "OldParentID", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, body []byte) {
				if got := stringMember(t, body, "OldParentID"); got != "7671197b-0dc0-414d-8d84-095ae535febf" {
					t.Errorf("OldParentID = %q", got)
				}
				if got := stringMember(t, member(t, body, "Item"), "ParentId"); got != "0db0ce8c-77a3-4969-903f-138c626483d1" {
					t.Errorf("Item.ParentId = %q, want the new parent", got)
				}
			},
		},
		{
			name:     "item:renamed carries OldName",
			event:    Event{Name: EventItemRenamed, OldName: "spring-promo"},
			wantKeys: []string{"EventName", "Item", "OldName", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, body []byte) {
				if got := stringMember(t, body, "OldName"); got != "spring-promo" {
					t.Errorf("OldName = %q, want spring-promo", got)
				}
			},
		},
		{
			name:     "item:copied carries Source and Copy",
			event:    Event{Name: EventItemCopied, Source: &copySource},
			wantKeys: []string{"EventName", "Source", "Copy", "WebhookItemId", "WebhookItemName"},
			check: func(t *testing.T, body []byte) {
				if got := stringMember(t, member(t, body, "Source"), "Id"); got != copySource.ID {
					t.Errorf("Source.Id = %q, want %q", got, copySource.ID)
				}
				if got := stringMember(t, member(t, body, "Copy"), "Id"); got != "79bf28f5-cb7b-4de4-9969-d294b7b33fcb" {
					t.Errorf("Copy.Id = %q, want the operation's item", got)
				}
				checkKeys(t, "Source", member(t, body, "Source"), itemKeys)
				checkKeys(t, "Copy", member(t, body, "Copy"), itemKeys)
			},
		},
	}

	wh := preparedEventHandler(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := &Operation{Item: springCampaign()}
			op.AddEvent(tt.event)

			body, err := EncodeEvent(wh, op, 0)
			if err != nil {
				t.Fatalf("EncodeEvent: %v", err)
			}

			checkKeys(t, "payload", body, tt.wantKeys)
			if got := stringMember(t, body, "EventName"); got != tt.event.Name {
				t.Errorf("EventName = %q, want %q", got, tt.event.Name)
			}
			if got := stringMember(t, body, "WebhookItemId"); got != "7f2edc0d-aaa5-4d61-a07a-cd0b677bcd37" {
				t.Errorf("WebhookItemId = %q, want the lower-case dashed webhook id", got)
			}
			if got := stringMember(t, body, "WebhookItemName"); got != "Search index refresh" {
				t.Errorf("WebhookItemName = %q", got)
			}
			tt.check(t, body)
		})
	}
}

func TestEncodeEventItemObjectShape(t *testing.T) {
	wh := preparedEventHandler(t)
	op := &Operation{Item: springCampaign()}
	op.AddEvent(Event{Name: EventItemAdded})

	body, err := EncodeEvent(wh, op, 0)
	if err != nil {
		t.Fatalf("EncodeEvent: %v", err)
	}
	item := member(t, body, "Item")

	checkKeys(t, "Item", item, itemKeys)
	if got := string(member(t, item, "Version")); got != "2" {
		t.Errorf("Version = %s, want the JSON number 2", got)
	}
	for _, key := range []string{"Id", "ParentId", "TemplateId", "MasterId"} {
		if got := stringMember(t, item, key); !payloadGUID.MatchString(got) {
			t.Errorf("%s = %q, want a lower-case dashed GUID", key, got)
		}
	}

	fieldShapes := []struct {
		list string
		keys []string
	}{
		{"SharedFields", []string{"Id", "Value"}},
		{"UnversionedFields", []string{"Id", "Value", "Language"}},
		{"VersionedFields", []string{"Id", "Value", "Version", "Language"}},
	}
	for _, shape := range fieldShapes {
		var fields []json.RawMessage
		if err := json.Unmarshal(member(t, item, shape.list), &fields); err != nil || len(fields) != 1 {
			t.Fatalf("%s = %s, want one element (err %v)", shape.list, member(t, item, shape.list), err)
		}
		checkKeys(t, shape.list+" element", fields[0], shape.keys)
	}

	// Field values are raw stored text: the multilist keeps its braced
	// upper-case GUIDs.
	if !strings.Contains(string(body), `"{6C985C39-1F70-41D7-AB8D-0AA30784B49C}|{AF48E28B-4D4E-47CD-A06B-AA41E4AA7C1D}"`) {
		t.Errorf("multilist value was reformatted: %s", body)
	}
}

func TestEncodeEventLeavesHTMLUnescaped(t *testing.T) {
	wh := preparedEventHandler(t)
	op := &Operation{Item: springCampaign()}
	op.AddEvent(Event{Name: EventItemSaved, Changes: &Changes{PropertyChanges: []any{}}})

	body, err := EncodeEvent(wh, op, 0)
	if err != nil {
		t.Fatalf("EncodeEvent: %v", err)
	}

	if want := `<p class=\"lead\">Spring sale starts Monday & ends Friday</p>`; !strings.Contains(string(body), want) {
		t.Errorf("payload lacks the literal HTML %s:\n%s", want, body)
	}
	for _, escaped := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if strings.Contains(string(body), escaped) {
			t.Errorf("payload contains %s:\n%s", escaped, body)
		}
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		t.Errorf("payload ends with a newline")
	}
}

// TestEncodeEventSavedEmptyPropertyChanges pins that PropertyChanges is an
// array even when the classifier leaves it unset, because Sitecore sends []
// and typed receivers bind it to a list.
func TestEncodeEventSavedEmptyPropertyChanges(t *testing.T) {
	wh := preparedEventHandler(t)
	op := &Operation{Item: springCampaign()}
	op.AddEvent(Event{Name: EventItemSaved, Changes: &Changes{
		FieldChanges: []FieldChange{{FieldID: "dd21f6ec-ad15-418a-be1a-a4db378ca1ff", Value: "Spring sale starts Monday"}},
	}})

	body, err := EncodeEvent(wh, op, 0)
	if err != nil {
		t.Fatalf("EncodeEvent: %v", err)
	}

	if got := string(member(t, member(t, body, "Changes"), "PropertyChanges")); got != "[]" {
		t.Errorf("PropertyChanges = %s, want []", got)
	}
}

// localizedContent is the workflow of the submit and validation examples in
// the Sitecore contract. The review state's GUID is given in lower case, so
// the payload must convert it to Sitecore's braced upper-case StateID.
func localizedContent() *Workflow {
	return &Workflow{
		Name: "Localized Content",
		States: []*State{
			{Key: "draft", ID: "{1A2B3C4D-0000-4000-8000-000000000001}", DisplayName: "Draft", Icon: "Office/16x16/document.png"},
			{Key: "review", ID: "4a7f4e30-9b63-41a3-9016-0f7b7fb175d4", DisplayName: "Editorial review", Icon: "Office/16x16/document_check.png"},
			{Key: "translation", ID: "{9F3E6B1A-52C4-4D7E-8A19-3B0C2D4E5F60}", DisplayName: "Translation", Icon: "Office/16x16/earth.png"},
			{Key: "published", ID: "{6D029DC9-65EF-4583-A323-AF611882395A}", DisplayName: "Published", Icon: "Office/16x16/check.png", Final: true},
		},
		Commands: []*Command{
			{Name: "Submit", From: "draft", To: "review"},
			{Name: "Translate", From: "review", To: "translation"},
			{Name: "Publish", From: "review", To: "published"},
		},
	}
}

func harbourFestival() Item {
	return Item{
		Language:     "en",
		Version:      3,
		ID:           "89169dfe-e040-4376-9d86-ba2d17f0612b",
		Name:         "harbour-festival",
		ParentID:     "0db0ce8c-77a3-4969-903f-138c626483d1",
		TemplateID:   "5cdb13e9-295a-4473-8f44-3fd03d3d4740",
		TemplateName: "News Article",
		MasterID:     "00000000-0000-0000-0000-000000000000",
	}
}

// actionKeys is the key order of submit and validation action payloads.
var actionKeys = []string{
	"ActionID", "ActionName", "Comments", "DataItem", "Message", "NextState",
	"PreviousState", "UserName", "WorkflowName", "WebhookItemId", "WebhookItemName",
}

var stateKeys = []string{"DisplayName", "FinalState", "Icon", "StateID", "PreviewPublishingTargets"}

func TestEncodeActionCommandFillsNextState(t *testing.T) {
	wh := &Webhook{
		Name:    "Check alt texts",
		ID:      "6C7DA356-CBB4-4A1C-A685-219FF092D914",
		URL:     "https://receiver.example/validate/alt-texts",
		Command: "Publish",
	}
	if err := wh.Prepare(KindValidationAction, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	workflow := localizedContent()
	op := &Operation{
		Item:         harbourFestival(),
		StatusChange: &StatusChange{FromState: "review", ToState: "published"},
		UserName:     `sitecore\tom.berg`,
	}
	transition := workflow.Match(op.StatusChange)
	if transition == nil || transition.Command == nil || transition.Command.Name != "Publish" {
		t.Fatalf("Match = %+v, want the Publish command", transition)
	}

	body, err := EncodeAction(wh, ActionRequest{Op: op, Transition: transition})
	if err != nil {
		t.Fatalf("EncodeAction: %v", err)
	}

	checkKeys(t, "payload", body, actionKeys)
	if got := string(member(t, body, "Comments")); got != "[]" {
		t.Errorf("Comments = %s, want [] without a comment", got)
	}
	if got := stringMember(t, body, "ActionID"); got != "6c7da356-cbb4-4a1c-a685-219ff092d914" {
		t.Errorf("ActionID = %q, want the lower-case dashed action id", got)
	}
	if got := stringMember(t, body, "WebhookItemId"); got != "6c7da356-cbb4-4a1c-a685-219ff092d914" {
		t.Errorf("WebhookItemId = %q, want the ActionID", got)
	}
	if got := stringMember(t, body, "ActionName"); got != "Check alt texts" {
		t.Errorf("ActionName = %q", got)
	}
	if got := stringMember(t, body, "WebhookItemName"); got != "Check alt texts" {
		t.Errorf("WebhookItemName = %q", got)
	}
	if got := stringMember(t, body, "Message"); got != "" {
		t.Errorf("Message = %q, want empty", got)
	}
	if got := stringMember(t, body, "WorkflowName"); got != "Localized Content" {
		t.Errorf("WorkflowName = %q", got)
	}
	if !strings.Contains(string(body), `"UserName":"sitecore\\tom.berg"`) {
		t.Errorf("UserName not sent as \"sitecore\\\\tom.berg\": %s", body)
	}

	dataItem := member(t, body, "DataItem")
	checkKeysInOrder(t, "DataItem", dataItem, itemKeys)
	if got := string(member(t, dataItem, "Version")); got != "3" {
		t.Errorf("DataItem.Version = %s, want the JSON number 3", got)
	}

	next := member(t, body, "NextState")
	checkKeys(t, "NextState", next, stateKeys)
	wantNext := map[string]string{
		"DisplayName":              `"Published"`,
		"FinalState":               `true`,
		"Icon":                     `"Office/16x16/check.png"`,
		"StateID":                  `"{6D029DC9-65EF-4583-A323-AF611882395A}"`,
		"PreviewPublishingTargets": `[]`,
	}
	for key, want := range wantNext {
		if got := string(member(t, next, key)); got != want {
			t.Errorf("NextState.%s = %s, want %s", key, got, want)
		}
	}

	previous := member(t, body, "PreviousState")
	checkKeys(t, "PreviousState", previous, stateKeys)
	if got := stringMember(t, previous, "StateID"); got != "{4A7F4E30-9B63-41A3-9016-0F7B7FB175D4}" {
		t.Errorf("PreviousState.StateID = %q, want the braced upper-case GUID", got)
	}
	if got := string(member(t, previous, "FinalState")); got != "false" {
		t.Errorf("PreviousState.FinalState = %s, want false", got)
	}
}

func TestEncodeActionOnStateNullNextState(t *testing.T) {
	wh := &Webhook{
		Name:  "Notify translators",
		ID:    "31a32c7c-ea4f-4669-93f6-7fa0af7a25dc",
		URL:   "https://receiver.example/notify",
		State: "translation",
	}
	if err := wh.Prepare(KindSubmitAction, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	op := &Operation{
		Item:         harbourFestival(),
		StatusChange: &StatusChange{FromState: "review", ToState: "translation"},
		UserName:     `sitecore\maria.lopez`,
		Comments:     "Ready for German & French <b>today</b>",
	}
	transition := localizedContent().Match(op.StatusChange)
	if transition == nil {
		t.Fatal("Match = nil, want the Translate transition")
	}

	body, err := EncodeAction(wh, ActionRequest{Op: op, Transition: transition, OnState: true})
	if err != nil {
		t.Fatalf("EncodeAction: %v", err)
	}

	checkKeys(t, "payload", body, actionKeys)
	if got := string(member(t, body, "NextState")); got != "null" {
		t.Errorf("NextState = %s, want null for an action on a state", got)
	}
	if got := stringMember(t, member(t, body, "PreviousState"), "DisplayName"); got != "Editorial review" {
		t.Errorf("PreviousState.DisplayName = %q", got)
	}

	var comments []map[string]string
	if err := json.Unmarshal(member(t, body, "Comments"), &comments); err != nil {
		t.Fatalf("Comments = %s, want an array of Key/Value objects: %v", member(t, body, "Comments"), err)
	}
	want := []map[string]string{{"Key": "Comments", "Value": "Ready for German & French <b>today</b>"}}
	if len(comments) != 1 || comments[0]["Key"] != want[0]["Key"] || comments[0]["Value"] != want[0]["Value"] {
		t.Errorf("Comments = %v, want %v", comments, want)
	}
	var commentElements []json.RawMessage
	if err := json.Unmarshal(member(t, body, "Comments"), &commentElements); err == nil && len(commentElements) == 1 {
		checkKeys(t, "Comments element", commentElements[0], []string{"Key", "Value"})
	}

	if strings.Contains(string(body), `\u003c`) || strings.Contains(string(body), `\u0026`) {
		t.Errorf("payload escapes HTML: %s", body)
	}
	if strings.Contains(string(body), `"EventName"`) {
		t.Errorf("action payload has an EventName key: %s", body)
	}
}

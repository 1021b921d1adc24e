package sitecore_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// speakSave is example C of the Experience Editor's save: one field of one
// item, form-encoded as jQuery posts it.
func speakSave() string {
	data := `{"language":"en","version":"3","database":"master","webEditMode":"edit",` +
		`"itemId":"{7DB3B587-2DDE-440D-BFF6-4192C57C6D2D}","scValidatorsKey":"VK_SC_PAGEEDITOR",` +
		`"scFieldValues":{"fld_7DB3B5872DDE440DBFF64192C57C6D2D_7F66C9E84B134F20980BEC7F29A2893A_en_3_233a8fdc-5164-48b6-a982-7c23ccb0563a_999":"Opening hours &amp; prices"}}`
	return "__RequestVerificationToken=token&data=" + url.QueryEscape(data)
}

// TestExperienceEditorSaveFiresSaved pins that the writing step of an
// Experience Editor save fires item:saved for the item in its field keys,
// and only when the response reports no error.
func TestExperienceEditorSaveFiresSaved(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	target := "/-/speak/request/v1/expeditor/ExperienceEditor.Save.CallServerSavePipeline"
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(speakSave()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !c.Candidate(r) {
		t.Fatal("Candidate = false for the save request")
	}
	ops := c.Classify(r, []byte(speakSave()))
	if len(ops) != 1 || !ops[0].HasEvent(dispatch.EventItemSaved) {
		t.Fatalf("got %+v, want one item:saved", ops)
	}
	if it := ops[0].Item; it.ID != "7db3b587-2dde-440d-bff6-4192c57c6d2d" || it.Language != "en" || it.Version != 3 {
		t.Errorf("Item = %+v", it)
	}

	c.Complete(ops, 200, nil, []byte(`{"error":true,"errorMessage":"The item is locked."}`))
	if ops[0].Succeeded {
		t.Error("error response: Succeeded = true")
	}
	c.Complete(ops, 200, nil, []byte(`{"error":false,"errorMessage":"","responseValue":{"value":true}}`))
	if !ops[0].Succeeded {
		t.Error("successful response: Succeeded = false")
	}
}

// TestReadOnlySpeakRequestsPass pins that the checks of a save, which only
// read, classify as nothing.
func TestReadOnlySpeakRequestsPass(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	target := "/-/speak/request/v1/expeditor/ExperienceEditor.Save.CheckItemLock"
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(speakSave()))
	if ops := c.Classify(r, []byte(speakSave())); len(ops) != 0 {
		t.Errorf("CheckItemLock: %d operations, want 0", len(ops))
	}
}

// TestFurtherSpeakWritesFire pins the Experience Editor's other writing
// requests: each fires its event for the context item once the response
// reports no error.
func TestFurtherSpeakWritesFire(t *testing.T) {
	cases := map[string]string{
		"ExperienceEditor.ChangeDisplayName":      dispatch.EventItemSaved,
		"ExperienceEditor.LayoutDetails.SetValue": dispatch.EventItemSaved,
		"ExperienceEditor.ResetLayout.Execute":    dispatch.EventItemSaved,
		"ExperienceEditor.LayoutPresets.Execute":  dispatch.EventItemSaved,
		"ExperienceEditor.RemoveLanguage.Execute": dispatch.EventItemVersionRemoved,
	}
	data := `{"language":"en","version":"3","database":"master","itemId":"{7DB3B587-2DDE-440D-BFF6-4192C57C6D2D}","value":"x"}`
	body := "__RequestVerificationToken=token&data=" + url.QueryEscape(data)
	for name, event := range cases {
		c := sitecore.New(sitecore.Config{})
		r := httptest.NewRequest(http.MethodPost, "/-/speak/request/v1/expeditor/"+name, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ops := c.Classify(r, []byte(body))
		if len(ops) != 1 || !ops[0].HasEvent(event) || ops[0].Item.ID != "7db3b587-2dde-440d-bff6-4192c57c6d2d" {
			t.Errorf("%s: %+v, want %s for the context item", name, ops, event)
			continue
		}
		c.Complete(ops, 200, nil, []byte(`{"error":false,"errorMessage":"","responseValue":{"value":true}}`))
		if !ops[0].Succeeded {
			t.Errorf("%s: a response without an error did not succeed", name)
		}
	}
}

// TestSpeakPathWithoutSlash pins that a configured speak_path without its
// trailing slash still matches the requests below it.
func TestSpeakPathWithoutSlash(t *testing.T) {
	c := sitecore.New(sitecore.Config{SpeakPath: "/-/speak/request/v1/expeditor"})
	r := httptest.NewRequest(http.MethodPost, "/-/speak/request/v1/expeditor/ExperienceEditor.Save.CallServerSavePipeline", strings.NewReader(speakSave()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ops := c.Classify(r, []byte(speakSave())); len(ops) != 1 {
		t.Errorf("got %d operations, want the save", len(ops))
	}
}

package sitecore_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// IDs of the made-up examples of the classic editors' specification.
const (
	pageItem       = "{7DB3B587-2DDE-440D-BFF6-4192C57C6D2D}"
	approveCommand = "{7C34681A-CACA-4098-B099-41C768E782CE}"
	workflowID     = "{6C088606-CB81-4173-8C54-ADEE3571E0FC}"
	draftState     = "{44A7E7A9-A33D-4F3A-A83A-F321D8709D1F}"
	pipelineID     = "c9b7c6d6931841af9fb2cc23ce9ebb43"
)

// recorded is a request and its response, as stored in testdata/classic.
type recorded struct {
	target       string
	body         string
	status       string
	responseBody string
}

// readRecorded reads testdata/classic/NAME.http: a request as on the wire,
// a blank line, and the response written the same way. Bodies are one
// line.
func readRecorded(t *testing.T, name string) recorded {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "classic", name+".http"))
	if err != nil {
		t.Fatal(err)
	}
	request, response, ok := strings.Cut(string(raw), "\n\nHTTP/1.1 ")
	if !ok {
		t.Fatalf("%s: no response after the request", name)
	}
	head, body, _ := strings.Cut(request, "\n\n")
	requestLine, _, _ := strings.Cut(head, "\n")
	fields := strings.Fields(requestLine)
	if len(fields) != 3 {
		t.Fatalf("%s: invalid request line %q", name, requestLine)
	}
	head, responseBody, _ := strings.Cut(response, "\n\n")
	statusLine, _, _ := strings.Cut(head, "\n")
	return recorded{
		target:       fields[1],
		body:         strings.TrimSpace(body),
		status:       statusLine,
		responseBody: strings.TrimSpace(responseBody),
	}
}

func parsePostback(t *testing.T, body string) *sitecore.Postback {
	t.Helper()
	p, err := sitecore.ParsePostback([]byte(body))
	if err != nil {
		t.Fatalf("ParsePostback(%q): %v", body, err)
	}
	return p
}

func parseMessage(t *testing.T, text string) *sitecore.Message {
	t.Helper()
	m, err := sitecore.ParseMessage(text)
	if err != nil {
		t.Fatalf("ParseMessage(%q): %v", text, err)
	}
	return m
}

func params(pairs ...string) []sitecore.MessageParam {
	var list []sitecore.MessageParam
	for i := 0; i+1 < len(pairs); i += 2 {
		list = append(list, sitecore.MessageParam{Key: pairs[i], Value: pairs[i+1]})
	}
	return list
}

// TestContentEditorWorkflowFirstPost reads example A of the specification:
// the workflow command, its item and flags come from __PARAMETERS, the
// context item from __CurrentItem.
func TestContentEditorWorkflowFirstPost(t *testing.T) {
	ex := readRecorded(t, "content-editor-workflow-comment")
	p := parsePostback(t, ex.body)

	if p.IsContinuation() {
		t.Error("IsContinuation() = true, want false")
	}
	if p.Modified {
		t.Error("Modified = true for an empty __MODIFIED")
	}
	if got := p.Form.Get("__EVENTTYPE"); got != "click" {
		t.Errorf("__EVENTTYPE = %q, want click", got)
	}
	if got := p.Form.Get("FIELD412"); got != "Opening hours" {
		t.Errorf("FIELD412 = %q, want %q", got, "Opening hours")
	}

	m, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	want := &sitecore.Message{
		Name: "item:workflow",
		Params: params(
			"id", pageItem,
			"language", "en",
			"version", "3",
			"commandid", approveCommand,
			"workflowid", workflowID,
			"ui", "0",
			"suppresscomment", "0",
		),
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Message() = %+v\nwant %+v", m, want)
	}

	uri, err := sitecore.ParseItemURI(p.CurrentItem)
	if err != nil {
		t.Fatal(err)
	}
	wantURI := sitecore.ItemURI{Database: "master", ID: pageItem, Language: "en", Version: "3"}
	if uri != wantURI {
		t.Errorf("ParseItemURI(%q) = %+v, want %+v", p.CurrentItem, uri, wantURI)
	}
	if _, ok := p.PipelineID(); ok {
		t.Error("PipelineID() found a pipeline in a first POST")
	}
}

// TestCommentDialogResponseSetsPipeline reads example A's response: a
// SetPipeline with the ID that the continuation posts, and the dialog.
func TestCommentDialogResponseSetsPipeline(t *testing.T) {
	ex := readRecorded(t, "content-editor-workflow-comment")
	r, err := sitecore.ParseResponse([]byte(ex.responseBody))
	if err != nil {
		t.Fatal(err)
	}
	if r.Scanned {
		t.Error("Scanned = true for a JSON body")
	}
	if id, ok := r.Pipeline(); !ok || id != pipelineID {
		t.Errorf("Pipeline() = %q, %v, want %q", id, ok, pipelineID)
	}

	dialogs := r.Dialogs()
	if len(dialogs) != 1 {
		t.Fatalf("Dialogs() = %+v, want one ShowModalDialog", dialogs)
	}
	if dialogs[0].Name != "ShowModalDialog" {
		t.Errorf("dialog name = %q", dialogs[0].Name)
	}
	if dialogs[0].Members["response"] != "1" {
		t.Errorf("dialog members = %v, want response 1", dialogs[0].Members)
	}
	if alerts := r.Alerts(); len(alerts) != 0 {
		t.Errorf("Alerts() = %q, want none", alerts)
	}
}

// TestCommentContinuationCarriesResult reads the continuation of example
// A: no message, the pipeline of the first response, the comment as
// __RESULT. The module's 409 reply to it is not a command response.
func TestCommentContinuationCarriesResult(t *testing.T) {
	ex := readRecorded(t, "content-editor-workflow-comment-continuation")
	p := parsePostback(t, ex.body)

	if !p.IsContinuation() {
		t.Error("IsContinuation() = false, want true")
	}
	if p.Pipeline != pipelineID {
		t.Errorf("Pipeline = %q, want %q", p.Pipeline, pipelineID)
	}
	if p.Result != "Checked by legal" {
		t.Errorf("Result = %q, want %q", p.Result, "Checked by legal")
	}
	if p.Parameters != "" || p.Form.Has("__PARAMETERS") {
		t.Errorf("Parameters = %q in a continuation", p.Parameters)
	}
	if m, err := p.Message(); m != nil || err != nil {
		t.Errorf("Message() = %+v, %v, want nil, nil", m, err)
	}
	if id, ok := p.PipelineID(); !ok || id != pipelineID {
		t.Errorf("PipelineID() = %q, %v", id, ok)
	}

	if !strings.HasPrefix(ex.status, "409") {
		t.Fatalf("status line %q, want 409", ex.status)
	}
	if _, err := sitecore.ParseResponse([]byte(ex.responseBody)); !errors.Is(err, sitecore.ErrNotCommandResponse) {
		t.Errorf("ParseResponse(409 text) error = %v, want ErrNotCommandResponse", err)
	}
}

// TestSaveResumesPipelineInsideMessage reads the item:save that follows a
// "yes" to CheckModified: its nested pipelineId counts as __PIPELINE.
func TestSaveResumesPipelineInsideMessage(t *testing.T) {
	ex := readRecorded(t, "content-editor-save-resume-pipeline")
	p := parsePostback(t, ex.body)

	m, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "item:save" {
		t.Errorf("Name = %q, want item:save", m.Name)
	}
	post, ok := m.Lookup("postaction")
	if !ok {
		t.Fatalf("no postaction in %+v", m)
	}
	if post.Value != "pipeline:resume(pipelineId="+pipelineID+")" {
		t.Errorf("postaction value = %q", post.Value)
	}
	wantNested := &sitecore.Message{Name: "pipeline:resume", Params: params("pipelineId", pipelineID)}
	if !reflect.DeepEqual(post.Message, wantNested) {
		t.Errorf("postaction message = %+v, want %+v", post.Message, wantNested)
	}
	if id, ok := p.PipelineID(); !ok || id != pipelineID {
		t.Errorf("PipelineID() = %q, %v, want %q", id, ok, pipelineID)
	}
	if p.IsContinuation() {
		t.Error("IsContinuation() = true without __PIPELINE")
	}
	if got := p.Form.Get("FIELD412"); got != "Opening hours and prices" {
		t.Errorf("FIELD412 = %q", got)
	}
}

// TestRefusedCommandAlertsInOK reads a refusal: a 200 response with an
// Alert and no pipeline.
func TestRefusedCommandAlertsInOK(t *testing.T) {
	ex := readRecorded(t, "content-editor-workflow-refused")
	p := parsePostback(t, ex.body)
	m, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("ui") != "1" || m.Get("suppresscomment") != "1" || m.Get("language") != "de-DE" {
		t.Errorf("message = %+v, want ui=1, suppresscomment=1, language=de-DE", m)
	}

	r, err := sitecore.ParseResponse([]byte(ex.responseBody))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"The item is no longer in the state that offers this command."}
	if got := r.Alerts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Alerts() = %q, want %q", got, want)
	}
	if got := r.Commands[0].Members["url"]; got != "/sitecore/shell/default.aspx?xmlcontrol=Alert" {
		t.Errorf("alert url = %q", got)
	}
	if _, ok := r.Pipeline(); ok {
		t.Error("Pipeline() found a pipeline in a refusal")
	}
	if len(r.Dialogs()) != 0 {
		t.Errorf("Dialogs() = %+v, want none", r.Dialogs())
	}
}

// TestWorkboxSendSelectedTickedItems reads example B: only the ticked
// check_R1 names an item; hidden_R2 has no checkbox.
func TestWorkboxSendSelectedTickedItems(t *testing.T) {
	ex := readRecorded(t, "workbox-send-selected")
	p := parsePostback(t, ex.body)

	m, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	want := &sitecore.Message{
		Name:   "workflow:sendselected",
		Params: params("command", approveCommand, "ws", draftState, "wf", workflowID),
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Message() = %+v\nwant %+v", m, want)
	}

	items := p.SelectedItems()
	wantItems := []sitecore.SelectedItem{{ID: "{3D457AFD-A5DC-4522-94DC-830E20D89FA4}", Language: "en", Version: "2"}}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("SelectedItems() = %+v, want %+v", items, wantItems)
	}
}

// TestSelectedItemsPairLikeWorkbox pins the Workbox's pairing of check_
// and hidden_ fields: a case-sensitive check_ prefix, a hidden_ looked up
// without regard to case, exactly three parts, repeated fields joined.
func TestSelectedItemsPairLikeWorkbox(t *testing.T) {
	const (
		a = "%7BAAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA%7D"
		b = "%7BBBBBBBBB-BBBB-4BBB-8BBB-BBBBBBBBBBBB%7D"
	)
	tests := []struct {
		name string
		form string
		want []sitecore.SelectedItem
	}{
		{
			name: "two ticked in checkbox order",
			form: "check_R2=on&check_R1=on&hidden_R1=" + a + "%2Cen%2C1&hidden_R2=" + b + "%2Cda%2C4",
			want: []sitecore.SelectedItem{
				{ID: "{BBBBBBBB-BBBB-4BBB-8BBB-BBBBBBBBBBBB}", Language: "da", Version: "4"},
				{ID: "{AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA}", Language: "en", Version: "1"},
			},
		},
		{
			name: "hidden name in other case",
			form: "check_R1=on&HIDDEN_r1=" + a + "%2Cen%2C1",
			want: []sitecore.SelectedItem{{ID: "{AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA}", Language: "en", Version: "1"}},
		},
		{
			name: "checkbox without hidden field",
			form: "check_R1=on",
		},
		{
			name: "value with four parts",
			form: "check_R1=on&hidden_R1=" + a + "%2Cen%2C1%2Cx",
		},
		{
			name: "value with two parts",
			form: "check_R1=on&hidden_R1=" + a + "%2Cen",
		},
		{
			name: "repeated hidden field joins to six parts",
			form: "check_R1=on&hidden_R1=" + a + "%2Cen%2C1&hidden_R1=" + b + "%2Cen%2C1",
		},
		{
			name: "repeated checkbox counts once",
			form: "check_R1=on&check_R1=on&hidden_R1=" + a + "%2Cen%2C1",
			want: []sitecore.SelectedItem{{ID: "{AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA}", Language: "en", Version: "1"}},
		},
		{
			name: "upper-case prefix is no checkbox",
			form: "CHECK_R1=on&hidden_R1=" + a + "%2Cen%2C1",
		},
		{
			name: "first spelling of a name decides",
			form: "CHECK_R1=on&check_R1=on&hidden_R1=" + a + "%2Cen%2C1",
		},
		{
			name: "empty parts are kept",
			form: "check_R1=on&hidden_R1=%2C%2C",
			want: []sitecore.SelectedItem{{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsePostback(t, "&__PARAMETERS=workflow%3Asendselected&"+tt.form)
			if got := p.SelectedItems(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SelectedItems() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestEscapedFieldDecoding pins the decoding of escape() output in
// __PARAMETERS: %XX is Latin-1, %uXXXX a UTF-16 code unit, '+' a space,
// and malformed escapes stay as written, as in ASP.NET.
func TestEscapedFieldDecoding(t *testing.T) {
	tests := []struct {
		name    string
		encoded string
		want    string
	}{
		{"ascii kept characters", "A-z_0.9@*/", "A-z_0.9@*/"},
		{"percent hex ascii", "item%3Asave%28%29", "item:save()"},
		{"percent hex latin1", "Gepr%FCft%20Caf%E9", "Geprüft Café"},
		{"percent hex lower case", "caf%e9", "café"},
		{"percent u bmp", "%u5BA1%u6838%20%u2013", "审核 –"},
		{"percent u lower hex", "%u00e9", "é"},
		{"surrogate pair", "ok%20%uD83D%uDC4D", "ok 👍"},
		{"lone high surrogate", "a%uD83Db", "a\uFFFDb"},
		{"lone low surrogate", "a%uDC4Db", "a\uFFFDb"},
		{"high surrogate then latin1", "%uD83D%E9", "\uFFFDé"},
		{"two high surrogates", "%uD83D%uD83D%uDC4D", "\uFFFD👍"},
		{"plus is space", "a+b", "a b"},
		{"escaped plus", "a%2Bb", "a+b"},
		{"invalid hex kept", "100%zz", "100%zz"},
		{"truncated percent at end", "50%", "50%"},
		{"truncated percent hex", "50%4", "50%4"},
		{"truncated percent u", "x%u00E", "x%u00E"},
		{"upper case U kept", "%U00E9", "%U00E9"},
		{"percent u with bad hex", "%u00G9", "%u00G9"},
		{"raw utf8 bytes", "Café", "Café"},
		{"raw invalid byte", "a\xffb", "a\uFFFDb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsePostback(t, "&__PARAMETERS="+tt.encoded)
			if p.Parameters != tt.want {
				t.Errorf("Parameters = %q, want %q", p.Parameters, tt.want)
			}
		})
	}
}

// TestComponentFieldDecoding pins the decoding of encodeURIComponent()
// output in page controls and continuations: %XX are UTF-8 bytes.
func TestComponentFieldDecoding(t *testing.T) {
	tests := []struct {
		name    string
		encoded string
		want    string
	}{
		{"utf8 bytes", "Gepr%C3%BCft%20%E2%80%93%20ok", "Geprüft – ok"},
		{"four byte utf8", "%F0%9F%91%8D", "👍"},
		{"latin1 byte is invalid utf8", "Caf%E9", "Caf\uFFFD"},
		{"percent u accepted like ASP.NET", "Caf%u00E9", "Café"},
		{"plus is space", "Checked+by+legal", "Checked by legal"},
		{"truncated utf8 sequence", "a%E2%80", "a\uFFFD"},
		{"invalid hex kept", "%G1", "%G1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsePostback(t, "&__RESULT="+tt.encoded+"&__PIPELINE=x")
			if p.Result != tt.want {
				t.Errorf("Result = %q, want %q", p.Result, tt.want)
			}
		})
	}
}

// TestNonASCIIMessageValues decodes an unknown message with non-ASCII
// text, as escape() writes it, and a continuation's non-ASCII comment.
func TestNonASCIIMessageValues(t *testing.T) {
	p := parsePostback(t, "&__PARAMETERS=custom%3Anote%28text%3DGepr%FCft%20%u2013%20%u5BA1%u6838%20%uD83D%uDC4D%2Cby%3Da+b%29&__ISEVENT=1")
	m, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	want := &sitecore.Message{Name: "custom:note", Params: params("text", "Geprüft – 审核 👍", "by", "a b")}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Message() = %+v, want %+v", m, want)
	}

	p = parsePostback(t, "&__RESULT=Pr%C3%BCfung%20durch%20%E6%B3%95%E5%8A%A1%20%F0%9F%91%8D&__PIPELINE="+pipelineID)
	if p.Result != "Prüfung durch 法务 👍" {
		t.Errorf("Result = %q", p.Result)
	}
}

// TestFormLookupLikeASPNET pins Form's lookups: names without regard to
// case, repeated names joined by commas, empty values present.
func TestFormLookupLikeASPNET(t *testing.T) {
	p := parsePostback(t, "&__PARAMETERS=item%3Asave&&Tags=a&tags=b&Empty=&loose&__MODIFIED=1")

	if got := p.Form.Get("TAGS"); got != "a,b" {
		t.Errorf(`Get("TAGS") = %q, want "a,b"`, got)
	}
	if !p.Form.Has("empty") {
		t.Error(`Has("empty") = false for "Empty="`)
	}
	if p.Form.Has("missing") || p.Form.Get("missing") != "" {
		t.Error("a missing field is reported present")
	}
	if got := p.Form.Get(""); got != "loose" {
		t.Errorf(`Get("") = %q, want the part without "="`, got)
	}
	if !p.Modified {
		t.Error("Modified = false for __MODIFIED=1")
	}
	names := make([]string, len(p.Form))
	for i, f := range p.Form {
		names[i] = f.Name
	}
	wantNames := []string{"__PARAMETERS", "Tags", "tags", "Empty", "", "__MODIFIED"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("field names = %q, want %q", names, wantNames)
	}
}

// TestParsePostbackRejectsOtherForms returns ErrNotPostback for forms
// without __PARAMETERS and __PIPELINE.
func TestParsePostbackRejectsOtherForms(t *testing.T) {
	for _, body := range []string{
		"",
		"&",
		"__RESULT=yes",
		"__EVENTTARGET=B7F3&__ISEVENT=1",
		`{"commands":[]}`,
		"__PARAMETERSX=item%3Asave",
	} {
		if _, err := sitecore.ParsePostback([]byte(body)); !errors.Is(err, sitecore.ErrNotPostback) {
			t.Errorf("ParsePostback(%q) error = %v, want ErrNotPostback", body, err)
		}
	}
	if p := parsePostback(t, "__parameters=item%3Asave"); p.Parameters != "item:save" {
		t.Errorf("lower-case __parameters read as %q", p.Parameters)
	}
}

// TestParseMessageSpecExamples reads the messages named in the
// specification, each with its parameters in order.
func TestParseMessageSpecExamples(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *sitecore.Message
	}{
		{
			name: "workbox send",
			text: "workflow:send(id=" + pageItem + ",la=en,vs=1,command=" + approveCommand + ",wf=" + workflowID + ",ui=1,suppresscomment=0)",
			want: &sitecore.Message{Name: "workflow:send", Params: params(
				"id", pageItem, "la", "en", "vs", "1", "command", approveCommand, "wf", workflowID, "ui", "1", "suppresscomment", "0")},
		},
		{
			name: "workbox send all",
			text: "workflow:sendall(command=" + approveCommand + ",ws=" + draftState + ",wf=" + workflowID + ")",
			want: &sitecore.Message{Name: "workflow:sendall", Params: params("command", approveCommand, "ws", draftState, "wf", workflowID)},
		},
		{
			name: "experience editor data sources",
			text: "webedit:workflowwithdatasourceitems(id=" + pageItem + ",language=en,version=3,commandid=" + approveCommand + ",workflowid=" + workflowID + ")",
			want: &sitecore.Message{Name: "webedit:workflowwithdatasourceitems", Params: params(
				"id", pageItem, "language", "en", "version", "3", "commandid", approveCommand, "workflowid", workflowID)},
		},
		{
			name: "add from master",
			text: "item:addmaster(master={76036F5E-CBCE-46D1-AF0A-4143F9B557AA})",
			want: &sitecore.Message{Name: "item:addmaster", Params: params("master", "{76036F5E-CBCE-46D1-AF0A-4143F9B557AA}")},
		},
		{
			name: "bare delete from the tree",
			text: "item:delete",
			want: &sitecore.Message{Name: "item:delete"},
		},
		{
			name: "empty parentheses",
			text: "contenteditor:save()",
			want: &sitecore.Message{Name: "contenteditor:save"},
		},
		{
			name: "delete with id",
			text: "webedit:delete(id=" + pageItem + ")",
			want: &sitecore.Message{Name: "webedit:delete", Params: params("id", pageItem)},
		},
		{
			name: "form method with quoted id",
			text: `LoadItem("` + pageItem + `")`,
			want: &sitecore.Message{Name: "LoadItem", Args: []string{pageItem}},
		},
		{
			name: "drop and sort argument",
			text: `DropAndSort("{A}|before|{B}")`,
			want: &sitecore.Message{Name: "DropAndSort", Args: []string{"{A}|before|{B}"}},
		},
		{
			name: "drop with item data",
			text: `Drop("sitecore:item:` + pageItem + `")`,
			want: &sitecore.Message{Name: "Drop", Args: []string{"sitecore:item:" + pageItem}},
		},
		{
			name: "save with notifications and resume",
			text: "item:save(disableNotifications=true,postaction=pipeline:resume(pipelineId=" + pipelineID + "))",
			want: &sitecore.Message{Name: "item:save", Params: []sitecore.MessageParam{
				{Key: "disableNotifications", Value: "true"},
				{
					Key:     "postaction",
					Value:   "pipeline:resume(pipelineId=" + pipelineID + ")",
					Message: &sitecore.Message{Name: "pipeline:resume", Params: params("pipelineId", pipelineID)},
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseMessage(t, tt.text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMessage(%q) =\n%+v\nwant\n%+v", tt.text, got, tt.want)
			}
		})
	}
}

// TestParseMessageValueEdgeCases covers values that are empty, contain
// "=", braces, spaces, quotes or several levels of nested messages.
func TestParseMessageValueEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *sitecore.Message
	}{
		{
			name: "empty values",
			text: "item:workflow(ui=,suppresscomment=)",
			want: &sitecore.Message{Name: "item:workflow", Params: params("ui", "", "suppresscomment", "")},
		},
		{
			name: "equals sign in value",
			text: "x:y(query=a=b)",
			want: &sitecore.Message{Name: "x:y", Params: params("query", "a=b")},
		},
		{
			name: "braces without commas",
			text: "x:y(id={A},empty={})",
			want: &sitecore.Message{Name: "x:y", Params: params("id", "{A}", "empty", "{}")},
		},
		{
			name: "spaces around names and keys",
			text: "  item:save ( a=1 , b= 2 )  ",
			want: &sitecore.Message{Name: "item:save", Params: params("a", "1 ", "b", " 2 ")},
		},
		{
			name: "balanced quotes kept in value",
			text: `x:y(text="hello")`,
			want: &sitecore.Message{Name: "x:y", Params: params("text", `"hello"`)},
		},
		{
			name: "comma inside nested parentheses",
			text: "x:y(a=f:g(b=1,c=2),d=3)",
			want: &sitecore.Message{Name: "x:y", Params: []sitecore.MessageParam{
				{Key: "a", Value: "f:g(b=1,c=2)", Message: &sitecore.Message{Name: "f:g", Params: params("b", "1", "c", "2")}},
				{Key: "d", Value: "3"},
			}},
		},
		{
			name: "braces with comma inside nested message",
			text: "x:y(a=f:g(b={1,2}))",
			want: nil, // the nested message has the ambiguous comma
		},
		{
			name: "three levels",
			text: "a:a(x=b:b(y=c:c(pipelineId=42)))",
			want: &sitecore.Message{Name: "a:a", Params: []sitecore.MessageParam{{
				Key: "x", Value: "b:b(y=c:c(pipelineId=42))",
				Message: &sitecore.Message{Name: "b:b", Params: []sitecore.MessageParam{{
					Key: "y", Value: "c:c(pipelineId=42)",
					Message: &sitecore.Message{Name: "c:c", Params: params("pipelineId", "42")},
				}}},
			}}},
		},
		{
			name: "nested quoted arguments",
			text: `x:y(then=LoadItem("{A},(x)"))`,
			want: &sitecore.Message{Name: "x:y", Params: []sitecore.MessageParam{{
				Key: "then", Value: `LoadItem("{A},(x)")`,
				Message: &sitecore.Message{Name: "LoadItem", Args: []string{"{A},(x)"}},
			}}},
		},
		{
			name: "quoted arguments with commas and parentheses",
			text: `Method("a,b", "c)d" ,"")`,
			want: &sitecore.Message{Name: "Method", Args: []string{"a,b", "c)d", ""}},
		},
		{
			name: "unknown message",
			text: "acme:publishlater(when=tomorrow)",
			want: &sitecore.Message{Name: "acme:publishlater", Params: params("when", "tomorrow")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sitecore.ParseMessage(tt.text)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseMessage(%q) = %+v, want an error", tt.text, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMessage(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMessage(%q) =\n%+v\nwant\n%+v", tt.text, got, tt.want)
			}
		})
	}
}

// TestParseMessageRejectsMalformedText returns a *MessageSyntaxError that
// names the outermost message when its name is readable.
func TestParseMessageRejectsMalformedText(t *testing.T) {
	deep := strings.Repeat("a:b(x=", 18) + "1" + strings.Repeat(")", 18)
	tests := []struct {
		name     string
		text     string
		wantName string
	}{
		{"empty", "", ""},
		{"only spaces", "   ", ""},
		{"only parentheses", "()", ""},
		{"name with space", "item save", ""},
		{"name with closing parenthesis", "item:save)", ""},
		{"truncated after name", "item:workflow(", "item:workflow"},
		{"truncated in value", "item:workflow(id={7DB3B587-2DDE", "item:workflow"},
		{"truncated nested message", "item:save(postaction=pipeline:resume(pipelineId=1)", "item:save"},
		{"text after closing parenthesis", "item:delete(id={A})x", "item:delete"},
		{"second closing parenthesis", "item:delete(id={A}))", "item:delete"},
		{"empty parameter", "item:workflow(id={A},,ui=1)", "item:workflow"},
		{"trailing comma", "item:workflow(id={A},)", "item:workflow"},
		{"parameter without equals", "item:workflow(id)", "item:workflow"},
		{"parameter without key", "item:workflow(=1)", "item:workflow"},
		{"key with space", "item:workflow(command id=1)", "item:workflow"},
		{"duplicate key", "item:workflow(commandid={A},commandid={B})", "item:workflow"},
		{"duplicate key other case", "item:workflow(commandid={A},CommandId={B})", "item:workflow"},
		{"comma inside braces", "item:workflow(id={A,B},ui=1)", "item:workflow"},
		{"comma inside braces hiding a key", "item:workflow(id={A,commandid={B}},commandid={C})", "item:workflow"},
		{"unmatched quote", `item:workflow(id="{A},ui=1")`, "item:workflow"},
		{"nested message without name", "item:save(postaction=(pipelineId=1))", "item:save"},
		{"text after nested message", "item:save(postaction=pipeline:resume(pipelineId=1)x)", "item:save"},
		{"unterminated quoted argument", `LoadItem("{A})`, "LoadItem"},
		{"text after quoted argument", `LoadItem("{A}"x)`, "LoadItem"},
		{"quoted then pair", `LoadItem("{A}",id=1)`, "LoadItem"},
		{"quoted trailing comma", `LoadItem("{A}",)`, "LoadItem"},
		{"quoted without closing parenthesis", `LoadItem("{A}"`, "LoadItem"},
		{"nesting too deep", deep, "a:b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := sitecore.ParseMessage(tt.text)
			if err == nil {
				t.Fatalf("ParseMessage(%q) = %+v, want an error", tt.text, m)
			}
			if m != nil {
				t.Errorf("ParseMessage(%q) returned a message with its error", tt.text)
			}
			var syntax *sitecore.MessageSyntaxError
			if !errors.As(err, &syntax) {
				t.Fatalf("error %v is not a *MessageSyntaxError", err)
			}
			if syntax.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", syntax.Name, tt.wantName)
			}
			if syntax.Offset < 0 || syntax.Offset > len(tt.text) {
				t.Errorf("Offset = %d, outside the text of %d bytes", syntax.Offset, len(tt.text))
			}
		})
	}
}

// TestMessageLookupIgnoresKeyCase finds keys in any case and nested
// pipeline IDs.
func TestMessageLookupIgnoresKeyCase(t *testing.T) {
	m := parseMessage(t, "item:workflow(Id={A},COMMANDID={B},ui=)")
	if got := m.Get("id"); got != "{A}" {
		t.Errorf(`Get("id") = %q`, got)
	}
	if got := m.Get("commandId"); got != "{B}" {
		t.Errorf(`Get("commandId") = %q`, got)
	}
	if _, ok := m.Lookup("ui"); !ok {
		t.Error(`Lookup("ui") = false for an empty value`)
	}
	if _, ok := m.Lookup("la"); ok {
		t.Error(`Lookup("la") = true for a missing key`)
	}
	if _, ok := m.PipelineID(); ok {
		t.Error("PipelineID() found one in a message without it")
	}

	nested := parseMessage(t, "x:y(a=b:c(d=1),e=f:g(PIPELINEID=7))")
	if id, ok := nested.PipelineID(); !ok || id != "7" {
		t.Errorf("PipelineID() = %q, %v, want 7", id, ok)
	}
}

// TestMessageStringWritesWireSyntax formats messages as the client posts
// them.
func TestMessageStringWritesWireSyntax(t *testing.T) {
	for text, want := range map[string]string{
		"item:workflow(id={A},ui=)":         "item:workflow(id={A},ui=)",
		" item:save ( postaction=p:r(x=1))": "item:save(postaction=p:r(x=1))",
		"item:delete()":                     "item:delete",
		`LoadItem( "{A}" , "b" )`:           `LoadItem("{A}","b")`,
	} {
		if got := parseMessage(t, text).String(); got != want {
			t.Errorf("String() of %q = %q, want %q", text, got, want)
		}
	}
}

// TestParseResponseReadsJavaScriptLiterals reads bodies that the client
// runs but that are not JSON.
func TestParseResponseReadsJavaScriptLiterals(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		wantPipeline string
		wantDialogs  []string
		wantAlerts   []string
		wantCommands int
	}{
		{
			name:         "single quotes and escaped quote",
			body:         `{"commands":[{"command":"SetPipeline",'value':'abc'},{"command":"Eval","value":"scForm.postRequest(\'\',\'\',\'\',\'item:refresh\')"}]}`,
			wantPipeline: "abc",
			wantCommands: 2,
		},
		{
			name:         "unquoted member names and trailing comma",
			body:         `{"commands":[{command:"SetPipeline",value:"p1"},{command:"Confirm",value:"Delete?",response:1},]}`,
			wantPipeline: "p1",
			wantDialogs:  []string{"Confirm"},
			wantCommands: 2,
		},
		{
			name:         "value before command and unicode escapes",
			body:         `{"commands":[{value:'Geh\u00f6rt \x2D \ud83d\udc4d',command:'Alert'},undefined]}`,
			wantAlerts:   []string{"Gehört - 👍"},
			wantCommands: 1,
		},
		{
			name:         "truncated after a complete command",
			body:         `{"commands":[{"command":"SetPipeline","value":"p2"},{"command":"ShowModalDialog","value":"/sitecore/sh`,
			wantPipeline: "p2",
			wantCommands: 1,
		},
		{
			name:         "nested object value skipped",
			body:         `{"commands":[{"command":"Input","options":{"command":"x"},"value":"Name?"},{"command":"SetPipeline","value":"p3"}],}`,
			wantPipeline: "p3",
			wantDialogs:  []string{"Input"},
			wantCommands: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := sitecore.ParseResponse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Scanned {
				t.Error("Scanned = false for a body that is not JSON")
			}
			if len(r.Commands) != tt.wantCommands {
				t.Errorf("got %d commands %+v, want %d", len(r.Commands), r.Commands, tt.wantCommands)
			}
			id, _ := r.Pipeline()
			if id != tt.wantPipeline {
				t.Errorf("Pipeline() = %q, want %q", id, tt.wantPipeline)
			}
			var dialogs []string
			for _, d := range r.Dialogs() {
				dialogs = append(dialogs, d.Name)
			}
			if !reflect.DeepEqual(dialogs, tt.wantDialogs) {
				t.Errorf("Dialogs() = %q, want %q", dialogs, tt.wantDialogs)
			}
			if got := r.Alerts(); !reflect.DeepEqual(got, tt.wantAlerts) {
				t.Errorf("Alerts() = %q, want %q", got, tt.wantAlerts)
			}
		})
	}
}

// TestParseResponseJSONValueForms keeps non-string values in JSON form
// and reads several pipelines as the last one.
func TestParseResponseJSONValueForms(t *testing.T) {
	body := `{"commands":[{"command":"SetPipeline","value":"first"},{"command":"CheckModified","value":"Save changes?","response":"1","resumePreviousPipeline":"1"},{"command":"SetModified","value":false},{"command":"Alert","value":null},{"value":"no name"},{"command":"SetPipeline","value":"second"}]}`
	r, err := sitecore.ParseResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Commands) != 5 {
		t.Fatalf("got %d commands, want 5 (the object without a command is none)", len(r.Commands))
	}
	if id, _ := r.Pipeline(); id != "second" {
		t.Errorf("Pipeline() = %q, want the last SetPipeline", id)
	}
	if got := r.Commands[1].Members["resumePreviousPipeline"]; got != "1" {
		t.Errorf("resumePreviousPipeline = %q", got)
	}
	if got := r.Commands[2].Value; got != "false" {
		t.Errorf("boolean value = %q, want false", got)
	}
	if got := r.Alerts(); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("Alerts() = %q, want one empty text", got)
	}
	if d := r.Dialogs(); len(d) != 1 || d[0].Name != "CheckModified" {
		t.Errorf("Dialogs() = %+v, want CheckModified", d)
	}
}

// TestParseResponseRejectsOtherBodies returns ErrNotCommandResponse for
// bodies the client does not run, and an error when no command is found.
func TestParseResponseRejectsOtherBodies(t *testing.T) {
	for _, body := range []string{
		"",
		"Legal review is missing for this page.",
		" {\"commands\":[]}",
		"\ufeff{\"commands\":[]}",
		"{ \"commands\":[]}",
		"{\"Commands\":[]}",
		"<html><body>Server Error</body></html>",
	} {
		if _, err := sitecore.ParseResponse([]byte(body)); !errors.Is(err, sitecore.ErrNotCommandResponse) {
			t.Errorf("ParseResponse(%q) error = %v, want ErrNotCommandResponse", body, err)
		}
	}

	for _, body := range []string{
		`{"commands":`,
		`{"commands":[{"value":"x"`,
		`{"commands":5,}`,
	} {
		if r, err := sitecore.ParseResponse([]byte(body)); err == nil {
			t.Errorf("ParseResponse(%q) = %+v, want an error", body, r)
		}
	}

	r, err := sitecore.ParseResponse([]byte(`{"commands":[]}`))
	if err != nil || len(r.Commands) != 0 {
		t.Errorf("ParseResponse(empty list) = %+v, %v, want no commands", r, err)
	}
}

// TestParseItemURIForms reads __CurrentItem values and rejects others.
func TestParseItemURIForms(t *testing.T) {
	uri, err := sitecore.ParseItemURI("Sitecore://web/" + pageItem)
	if err != nil {
		t.Fatal(err)
	}
	if want := (sitecore.ItemURI{Database: "web", ID: pageItem}); uri != want {
		t.Errorf("ParseItemURI = %+v, want %+v", uri, want)
	}

	uri, err = sitecore.ParseItemURI("sitecore://master/" + pageItem + "?ver=12&lang=de-CH&x=1")
	if err != nil {
		t.Fatal(err)
	}
	if uri.Language != "de-CH" || uri.Version != "12" {
		t.Errorf("ParseItemURI language, version = %q, %q", uri.Language, uri.Version)
	}

	for _, s := range []string{"", "master/" + pageItem, "sitecore://master", "sitecore:///" + pageItem, "sitecore://master/?lang=en"} {
		if _, err := sitecore.ParseItemURI(s); err == nil {
			t.Errorf("ParseItemURI(%q) succeeded, want an error", s)
		}
	}
}

// FuzzParseMessage checks that ParseMessage never panics, that an error
// is a *MessageSyntaxError, and that a parsed message reads back equal
// from its String form.
func FuzzParseMessage(f *testing.F) {
	for _, seed := range []string{
		"item:workflow(id=" + pageItem + ",language=en,version=3,commandid=" + approveCommand + ",workflowid=" + workflowID + ",ui=0,suppresscomment=0)",
		"workflow:sendselected(command=" + approveCommand + ",ws=" + draftState + ",wf=" + workflowID + ")",
		"item:save(postaction=pipeline:resume(pipelineId=" + pipelineID + "))",
		`LoadItem("` + pageItem + `")`,
		`DropAndSort("{A}|before|{B}")`,
		"item:delete",
		"x:y(a={1,2})",
		`x:y(a="b,c")`,
		"x:y(a=f(b=g(c=1)),d=)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := sitecore.ParseMessage(text)
		if err != nil {
			var syntax *sitecore.MessageSyntaxError
			if !errors.As(err, &syntax) {
				t.Fatalf("error %v is not a *MessageSyntaxError", err)
			}
			if m != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		again, err := sitecore.ParseMessage(m.String())
		if err != nil {
			t.Fatalf("ParseMessage(%q) of String() of %q: %v", m.String(), text, err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip of %q: %+v != %+v", text, m, again)
		}
	})
}

// FuzzParsePostback checks that decoding any body, its message and its
// Workbox selection never panics.
func FuzzParsePostback(f *testing.F) {
	for _, name := range []string{"content-editor-workflow-comment", "workbox-send-selected", "content-editor-workflow-comment-continuation"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "classic", name+".http"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("&__PARAMETERS=%uD83D%u&check_=&hidden_=,,"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := sitecore.ParsePostback(body)
		if err != nil {
			return
		}
		_, _ = p.Message()
		_, _ = p.PipelineID()
		_ = p.SelectedItems()
		_, _ = sitecore.ParseItemURI(p.CurrentItem)
	})
}

// FuzzParseResponse checks that reading any response body never panics.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"commands":[{"command":"SetPipeline","value":"abc"},{"command":"ShowModalDialog","value":"/x","response":"1"}]}`))
	f.Add([]byte(`{"commands":[{command:'Alert',value:'a\'b\u00e9\x41'}]}`))
	f.Add([]byte(`{"commands":[{"command":"Eval","value":"\`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := sitecore.ParseResponse(body)
		if err != nil {
			return
		}
		_, _ = r.Pipeline()
		_ = r.Dialogs()
		_ = r.Alerts()
	})
}

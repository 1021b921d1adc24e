package dispatch

import (
	"strings"
	"testing"
)

// editorial is a WordPress-style workflow: posts start as draft, editors
// submit them for review, and reviewers approve or reject them.
func editorial(otherTransitions string) *Workflow {
	return &Workflow{
		Name: "Editorial",
		States: []*State{
			{Key: "draft", DisplayName: "Draft"},
			{Key: "pending", DisplayName: "Pending review"},
			{Key: "publish", DisplayName: "Published", Final: true},
		},
		Commands: []*Command{
			{Name: "Submit", From: "draft", To: "pending"},
			{Name: "Approve", From: "pending", To: "publish"},
			{Name: "Reject", From: "pending", To: "draft"},
		},
		OtherTransitions: otherTransitions,
	}
}

func TestWorkflowMatchStatusChanges(t *testing.T) {
	tests := []struct {
		name             string
		otherTransitions string
		change           StatusChange
		wantNil          bool
		wantFrom         string
		wantTo           string
		wantCommand      string
		wantBlocked      bool
	}{
		{
			name:        "command found",
			change:      StatusChange{FromState: "pending", ToState: "publish"},
			wantFrom:    "pending",
			wantTo:      "publish",
			wantCommand: "Approve",
		},
		{
			name:        "command back to earlier state",
			change:      StatusChange{FromState: "pending", ToState: "draft"},
			wantFrom:    "pending",
			wantTo:      "draft",
			wantCommand: "Reject",
		},
		{
			name:        "auto-draft counts as initial",
			change:      StatusChange{FromState: "auto-draft", ToState: "pending"},
			wantFrom:    "draft",
			wantTo:      "pending",
			wantCommand: "Submit",
		},
		{
			name:        "created counts as initial",
			change:      StatusChange{ToState: "pending", Created: true},
			wantFrom:    "draft",
			wantTo:      "pending",
			wantCommand: "Submit",
		},
		{
			name:        "empty from counts as initial",
			change:      StatusChange{ToState: "pending"},
			wantFrom:    "draft",
			wantTo:      "pending",
			wantCommand: "Submit",
		},
		{
			name:    "created in initial state",
			change:  StatusChange{FromState: "auto-draft", ToState: "draft", Created: true},
			wantNil: true,
		},
		{
			name:    "same state",
			change:  StatusChange{FromState: "pending", ToState: "pending"},
			wantNil: true,
		},
		{
			name:    "neither state in workflow",
			change:  StatusChange{FromState: "private", ToState: "trash"},
			wantNil: true,
		},
		{
			name:     "uncovered change allowed by default",
			change:   StatusChange{FromState: "draft", ToState: "publish"},
			wantFrom: "draft",
			wantTo:   "publish",
		},
		{
			name:             "uncovered change allowed explicitly",
			otherTransitions: "allow",
			change:           StatusChange{FromState: "draft", ToState: "publish"},
			wantFrom:         "draft",
			wantTo:           "publish",
		},
		{
			name:             "uncovered change blocked",
			otherTransitions: "block",
			change:           StatusChange{FromState: "draft", ToState: "publish"},
			wantFrom:         "draft",
			wantTo:           "publish",
			wantBlocked:      true,
		},
		{
			name:             "leaving workflow blocked",
			otherTransitions: "block",
			change:           StatusChange{FromState: "publish", ToState: "trash"},
			wantFrom:         "publish",
			wantBlocked:      true,
		},
		{
			name:             "entering workflow blocked",
			otherTransitions: "block",
			change:           StatusChange{FromState: "private", ToState: "publish"},
			wantTo:           "publish",
			wantBlocked:      true,
		},
		{
			name:             "command never blocked",
			otherTransitions: "block",
			change:           StatusChange{FromState: "draft", ToState: "pending"},
			wantFrom:         "draft",
			wantTo:           "pending",
			wantCommand:      "Submit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := editorial(tt.otherTransitions)
			if err := w.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}

			got := w.Match(&tt.change)

			if tt.wantNil {
				if got != nil {
					t.Fatalf("Match = %+v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("Match = nil, want a transition")
			}
			if got.Workflow != w {
				t.Errorf("Workflow = %v, want the matched workflow", got.Workflow)
			}
			if key := stateKey(got.From); key != tt.wantFrom {
				t.Errorf("From = %q, want %q", key, tt.wantFrom)
			}
			if key := stateKey(got.To); key != tt.wantTo {
				t.Errorf("To = %q, want %q", key, tt.wantTo)
			}
			commandName := ""
			if got.Command != nil {
				commandName = got.Command.Name
			}
			if commandName != tt.wantCommand {
				t.Errorf("Command = %q, want %q", commandName, tt.wantCommand)
			}
			if got.Blocked != tt.wantBlocked {
				t.Errorf("Blocked = %v, want %v", got.Blocked, tt.wantBlocked)
			}
		})
	}
}

func stateKey(s *State) string {
	if s == nil {
		return ""
	}
	return s.Key
}

func TestWorkflowValidateRejectsInconsistencies(t *testing.T) {
	tests := []struct {
		name     string
		modify   func(w *Workflow)
		wantText []string
	}{
		{
			name:     "missing name",
			modify:   func(w *Workflow) { w.Name = "" },
			wantText: []string{"missing name"},
		},
		{
			name:     "no states",
			modify:   func(w *Workflow) { w.States = nil; w.Commands = nil },
			wantText: []string{`"Editorial"`, "no states"},
		},
		{
			name:     "state without key",
			modify:   func(w *Workflow) { w.States = append(w.States, &State{DisplayName: "Archived"}) },
			wantText: []string{`"Editorial"`, "without a key"},
		},
		{
			name:     "duplicate state",
			modify:   func(w *Workflow) { w.States = append(w.States, &State{Key: "pending"}) },
			wantText: []string{`"Editorial"`, `"pending"`, "twice"},
		},
		{
			name: "duplicate command",
			modify: func(w *Workflow) {
				w.Commands = append(w.Commands, &Command{Name: "Approve", From: "draft", To: "publish"})
			},
			wantText: []string{`"Approve"`, "twice"},
		},
		{
			name: "command from unknown state",
			modify: func(w *Workflow) {
				w.Commands = append(w.Commands, &Command{Name: "Restore", From: "trash", To: "draft"})
			},
			wantText: []string{`"Restore"`, `"trash"`, "not a state"},
		},
		{
			name: "command to unknown state",
			modify: func(w *Workflow) {
				w.Commands = append(w.Commands, &Command{Name: "Archive", From: "publish", To: "archived"})
			},
			wantText: []string{`"Archive"`, `"archived"`, "not a state"},
		},
		{
			name:     "unknown other_transitions",
			modify:   func(w *Workflow) { w.OtherTransitions = "deny" },
			wantText: []string{`"deny"`, "allow or block"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := editorial("")
			tt.modify(w)

			err := w.Validate()

			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not mention %s", err, text)
				}
			}
		})
	}
}

func TestWorkflowValidateAcceptsConsistent(t *testing.T) {
	for _, other := range []string{"", "allow", "block"} {
		if err := editorial(other).Validate(); err != nil {
			t.Errorf("Validate with other_transitions %q: %v", other, err)
		}
	}
}

func TestWorkflowAppliesToTemplates(t *testing.T) {
	w := editorial("")
	if !w.AppliesTo("post") {
		t.Error("a workflow without templates must apply to every template")
	}

	w.Templates = []string{"post", "page"}
	if !w.AppliesTo("page") {
		t.Error("AppliesTo(page) = false, want true")
	}
	if w.AppliesTo("attachment") {
		t.Error("AppliesTo(attachment) = true, want false")
	}
}

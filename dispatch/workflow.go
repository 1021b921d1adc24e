package dispatch

import (
	"fmt"
	"slices"
)

// Workflow is a workflow definition: its states and the commands that move an
// item between them. Sitecore keeps these as items under
// /sitecore/system/Workflows; the sidecar needs them in its configuration to
// name the command behind a status change and to fill PreviousState and
// NextState in action payloads.
type Workflow struct {
	// Name is sent as WorkflowName.
	Name string `json:"name"`

	// States are the workflow's states. The first one is the initial state:
	// an item created without a status, or created directly in another
	// state, starts there.
	States []*State `json:"states,omitempty"`

	// Commands are the transitions an editor can run.
	Commands []*Command `json:"commands,omitempty"`

	// Templates limits the workflow to items of these templates (WordPress
	// post types). Empty means every item.
	Templates []string `json:"templates,omitempty"`

	// OtherTransitions decides what happens to a status change into or out
	// of a state of this workflow that no command covers: "allow" (the
	// default) forwards it without validation, "block" rejects it with 409, so an
	// item can reach a state only through a command and its validation
	// actions.
	OtherTransitions string `json:"other_transitions,omitempty"`
}

// State is a workflow state.
type State struct {
	// Key is the CMS's own name for the state: a WordPress post status
	// such as "pending". Required.
	Key string `json:"key"`

	// ID is the state item's GUID in Sitecore. When set, it is sent as
	// StateID in braced upper case; otherwise StateID is the key.
	ID string `json:"id,omitempty"`

	// DisplayName is sent as DisplayName. Default: the key.
	DisplayName string `json:"display_name,omitempty"`

	// Icon is sent as Icon, a path such as Office/16x16/check.png.
	// Default: empty.
	Icon string `json:"icon,omitempty"`

	// Final is sent as FinalState. Default: false.
	Final bool `json:"final,omitempty"`
}

// Command is a workflow command: a named transition from one state to another.
type Command struct {
	// Name names the command in the configuration of actions. Required.
	Name string `json:"name"`

	// ID is the command item's GUID in Sitecore. Default: empty.
	ID string `json:"id,omitempty"`

	// From and To are the keys of the states the command moves an item
	// between. Required.
	From string `json:"from"`
	To   string `json:"to"`
}

// Transition is the result of matching a status change against a workflow.
type Transition struct {
	Workflow *Workflow
	From     *State
	To       *State

	// Command is the command that covers the change, or nil.
	Command *Command

	// Blocked is set when no command covers the change and the workflow
	// blocks other transitions.
	Blocked bool
}

// Validate checks that states and commands are consistent.
func (w *Workflow) Validate() error {
	if w.Name == "" {
		return fmt.Errorf("workflow: missing name")
	}
	if len(w.States) == 0 {
		return fmt.Errorf("workflow %q: no states defined", w.Name)
	}
	seen := map[string]bool{}
	for _, s := range w.States {
		if s.Key == "" {
			return fmt.Errorf("workflow %q: state without a key", w.Name)
		}
		if seen[s.Key] {
			return fmt.Errorf("workflow %q: state %q defined twice", w.Name, s.Key)
		}
		seen[s.Key] = true
	}
	names := map[string]bool{}
	for _, c := range w.Commands {
		if names[c.Name] {
			return fmt.Errorf("workflow %q: command %q defined twice", w.Name, c.Name)
		}
		names[c.Name] = true
		if !seen[c.From] {
			return fmt.Errorf("workflow %q: command %q: from state %q is not a state of this workflow", w.Name, c.Name, c.From)
		}
		if !seen[c.To] {
			return fmt.Errorf("workflow %q: command %q: to state %q is not a state of this workflow", w.Name, c.Name, c.To)
		}
	}
	switch w.OtherTransitions {
	case "", "allow", "block":
	default:
		return fmt.Errorf("workflow %q: other_transitions %q: must be allow or block", w.Name, w.OtherTransitions)
	}
	return nil
}

// State returns the state with the given key, or nil.
func (w *Workflow) State(key string) *State {
	for _, s := range w.States {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// Command returns the command with the given name, or nil.
func (w *Workflow) Command(name string) *Command {
	for _, c := range w.Commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// stateOrAlias returns the state with the key, or else the one with the
// alias, or nil.
func (w *Workflow) stateOrAlias(key, alias string) *State {
	if s := w.State(key); s != nil {
		return s
	}
	if alias != "" {
		return w.State(alias)
	}
	return nil
}

// CommandByID returns the command whose id is the GUID id in any spelling,
// or nil.
func (w *Workflow) CommandByID(id string) *Command {
	want, err := ParseGUID(id)
	if err != nil {
		return nil
	}
	for _, c := range w.Commands {
		if got, err := ParseGUID(c.ID); err == nil && got == want {
			return c
		}
	}
	return nil
}

// Initial returns the initial state.
func (w *Workflow) Initial() *State {
	return w.States[0]
}

// AppliesTo reports whether items of the template are in this workflow.
func (w *Workflow) AppliesTo(template string) bool {
	return len(w.Templates) == 0 || slices.Contains(w.Templates, template)
}

// Match finds the command behind a change from one state key to another. A
// from key that is not a state of the workflow, such as WordPress's
// "auto-draft" of a post the editor has just opened, counts as the initial
// state when the change is a creation. It returns nil when neither state
// belongs to the workflow, so the change is not a workflow matter.
func (w *Workflow) Match(change *StatusChange) *Transition {
	if change.CommandID != "" {
		c := w.CommandByID(change.CommandID)
		if c == nil {
			return nil
		}
		from := w.State(c.From)
		if change.FromState != "" && from != nil && from.ID != "" && !sameID(change.FromState, from.ID) {
			// The item is in another state, and the CMS refuses a
			// command that its state does not offer.
			return nil
		}
		return &Transition{Workflow: w, From: from, To: w.State(c.To), Command: c}
	}
	from := w.stateOrAlias(change.FromState, change.FromAlias)
	if from == nil && (change.Created || change.FromState == "" || change.FromState == "auto-draft") {
		from = w.Initial()
	}
	to := w.stateOrAlias(change.ToState, change.ToAlias)
	if from == nil && to == nil {
		return nil
	}
	if from != nil && to != nil && from.Key == to.Key {
		return nil
	}

	t := &Transition{Workflow: w, From: from, To: to}
	if from != nil && to != nil {
		for _, c := range w.Commands {
			if c.From == from.Key && c.To == to.Key {
				t.Command = c
				return t
			}
		}
	}
	t.Blocked = w.OtherTransitions == "block"
	return t
}

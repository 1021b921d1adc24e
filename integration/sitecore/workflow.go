package sitecore

import (
	"fmt"

	"github.com/google/uuid"
)

// workflow is a workflow definition as it lives under /sitecore/system/Workflows.
type workflow struct {
	id       uuid.UUID
	name     string
	initial  *workflowState
	states   []*workflowState
	commands []*workflowCommand
}

type workflowState struct {
	id          uuid.UUID
	name        string
	displayName string
	icon        string
	final       bool
}

// workflowCommand is a command item. In Sitecore it sits below the state it
// leaves (from), and its Next state field names the state it enters (to).
type workflowCommand struct {
	id   uuid.UUID
	name string
	from *workflowState
	to   *workflowState
}

func (s *workflowState) export() WorkflowState {
	return WorkflowState{ID: s.id.String(), Name: s.name, DisplayName: s.displayName, Icon: s.icon, Final: s.final}
}

func (wf *workflow) export() Workflow {
	out := Workflow{ID: wf.id.String(), Name: wf.name, InitialStateID: wf.initial.id.String()}
	for _, st := range wf.states {
		out.States = append(out.States, st.export())
	}
	for _, c := range wf.commands {
		out.Commands = append(out.Commands, WorkflowCommand{ID: c.id.String(), Name: c.name, FromStateID: c.from.id.String(), ToStateID: c.to.id.String()})
	}
	return out
}

// itemWorkflow returns the workflow named by the item's __Workflow field, or
// nil when the item is in no workflow.
func (s *store) itemWorkflow(it *item) *workflow {
	id, err := parseID(it.shared[fieldWorkflow.id])
	if err != nil {
		return nil
	}
	for _, wf := range s.workflows {
		if wf.id == id {
			return wf
		}
	}
	return nil
}

// versionState returns the workflow and state of one item version. Both are
// nil when the item is in no workflow, and the state is nil when the version
// has no state.
func (s *store) versionState(it *item, v *itemVersion) (*workflow, *workflowState) {
	wf := s.itemWorkflow(it)
	if wf == nil || v == nil {
		return nil, nil
	}
	id, err := parseID(v.fields[fieldWorkflowState.id])
	if err != nil {
		return wf, nil
	}
	for _, st := range wf.states {
		if st.id == id {
			return wf, st
		}
	}
	return wf, nil
}

// commandResult is the outcome of a workflow command that reached the
// workflow engine. A command the engine rejects leaves the item unchanged.
type commandResult struct {
	succeeded bool
	message   string
	previous  *workflowState
	next      *workflowState
}

// executeCommand runs a workflow command on one item version, as Sitecore's
// IWorkflow.Execute does: it succeeds only when the version is in the
// command's from-state, and then moves the version to the command's to-state.
func (s *store) executeCommand(it *item, lang string, v *itemVersion, commandID uuid.UUID, comments, user string) commandResult {
	wf, state := s.versionState(it, v)
	if wf == nil {
		return commandResult{message: "The item is currently not part of a workflow."}
	}
	if state == nil {
		return commandResult{message: fmt.Sprintf("The item version has no state in workflow %q.", wf.name)}
	}

	var cmd *workflowCommand
	for _, c := range wf.commands {
		if c.id == commandID {
			cmd = c
		}
	}
	if cmd == nil {
		return commandResult{previous: state, message: fmt.Sprintf("The workflow command %s does not exist in workflow %q.", braced(commandID), wf.name)}
	}
	if cmd.from != state {
		// NOTE: the wording is the emulator's; Sitecore's text for this
		// refusal is not publicly documented.
		return commandResult{previous: state, message: fmt.Sprintf("The workflow command %q cannot run in the state %q; it runs only in %q.", cmd.name, state.displayName, cmd.from.displayName)}
	}

	it.setValue(fieldWorkflowState, lang, v, braced(cmd.to.id))
	s.stamp(it, lang, v, user)
	s.events = append(s.events, WorkflowEvent{
		ItemID:          it.id.String(),
		Language:        lang,
		Version:         v.number,
		CommandID:       cmd.id.String(),
		PreviousStateID: state.id.String(),
		NextStateID:     cmd.to.id.String(),
		Comments:        comments,
		User:            user,
	})
	return commandResult{succeeded: true, previous: state, next: cmd.to}
}

// startWorkflow puts an item version into the initial state of the item
// template's workflow, as the Authoring API's startWorkflow mutation does.
func (s *store) startWorkflow(it *item, lang string, v *itemVersion, user string) error {
	wf := s.itemWorkflow(it)
	if wf == nil {
		wf = it.template.workflow
	}
	if wf == nil {
		return fmt.Errorf("template %q of item %s has no default workflow", it.template.name, it.path())
	}
	it.setValue(fieldWorkflow, lang, nil, braced(wf.id))
	it.setValue(fieldWorkflowState, lang, v, braced(wf.initial.id))
	s.stamp(it, lang, v, user)
	return nil
}

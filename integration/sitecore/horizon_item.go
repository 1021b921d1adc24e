package sitecore

// horizonContent builds the Pages Content object for one version of it.
// Pages resolves id to Item.ID, a Sitecore ID whose string form is braced
// and upper case. Folders resolve to the Folder type and every other item to
// Item. Pages types items with presentation as Page, and the emulator has none.
func (c *callContext) horizonContent(it *item, lang string, v *itemVersion) *record {
	typ := "Item"
	if it.template.id == mustID(FolderTemplateID) {
		typ = "Folder"
	}
	number := 0
	versionName := ""
	if v != nil {
		number = v.number
		versionName = v.name
	}
	displayName := it.value(fieldDisplayName, lang, v)
	if displayName == "" {
		displayName = it.name
	}

	return newRecord(typ, map[string]any{
		"id":           braced(it.id),
		"name":         it.name,
		"displayName":  displayName,
		"versionName":  versionName,
		"createdBy":    it.value(fieldCreatedBy, lang, v),
		"creationDate": it.value(fieldCreated, lang, v),
		"updatedBy":    it.value(fieldUpdatedBy, lang, v),
		"updatedDate":  it.value(fieldUpdated, lang, v),
		"template": newRecord("Template", map[string]any{
			"id":          braced(it.template.id),
			"name":        it.template.name,
			"displayName": it.template.name,
			"path":        "/sitecore/templates/" + it.template.fullName,
		}),
		"children": resolver(func(map[string]any) (any, error) {
			out := make([]*record, 0, len(it.children))
			for _, child := range it.children {
				out = append(out, c.horizonContent(child, lang, child.version(lang, 0)))
			}
			return out, nil
		}),
		"hasChildren": len(it.children) > 0,
		"version":     number,
		"versions": resolver(func(map[string]any) (any, error) {
			out := make([]*record, 0, len(it.versions[lang]))
			for _, version := range it.versions[lang] {
				out = append(out, c.horizonContent(it, lang, version))
			}
			return out, nil
		}),
		"icon":     "",
		"path":     it.path(),
		"language": lang,
		"parent": resolver(func(map[string]any) (any, error) {
			if it.parent == nil {
				return nil, nil
			}
			return c.horizonContent(it.parent, lang, it.parent.version(lang, 0)), nil
		}),
		"workflow": resolver(func(map[string]any) (any, error) {
			return c.horizonWorkflow(it, v), nil
		}),
	})
}

// horizonWorkflow builds the WorkflowState object of Pages, or returns nil
// when the version is in no workflow state.
func (c *callContext) horizonWorkflow(it *item, v *itemVersion) any {
	wf, state := c.store.versionState(it, v)
	if state == nil {
		return nil
	}
	var commands []*record
	for _, cmd := range wf.commands {
		if cmd.from == state {
			commands = append(commands, newRecord("WorkflowCommand", map[string]any{
				"id":          braced(cmd.id),
				"displayName": cmd.name,
			}))
		}
	}
	return newRecord("WorkflowState", map[string]any{
		"id":          braced(state.id),
		"displayName": state.displayName,
		"finalState":  state.final,
		"icon":        state.icon,
		"canEdit":     true,
		"commands":    commands,
	})
}

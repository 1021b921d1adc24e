package sitecore

import (
	"errors"
	"fmt"
)

func newAuthoringService() *graphQLService {
	return newGraphQLService(authoringSchema+authoringSearchSchema, func(c *callContext) (*record, *record) {
		query := newRecord("Query", map[string]any{
			"item":   resolver(c.queryItem),
			"search": resolver(c.search),
		})
		mutation := newRecord("Mutation", map[string]any{
			"createItem":             inputResolver(c.createItem),
			"updateItem":             inputResolver(c.updateItem),
			"deleteItem":             inputResolver(c.deleteItem),
			"renameItem":             inputResolver(c.renameItem),
			"moveItem":               inputResolver(c.moveItem),
			"copyItem":               inputResolver(c.copyItem),
			"addItemVersion":         inputResolver(c.addItemVersion),
			"deleteItemVersion":      inputResolver(c.deleteItemVersion),
			"startWorkflow":          inputResolver(c.startWorkflow),
			"executeWorkflowCommand": inputResolver(c.executeWorkflowCommand),
		})
		return query, mutation
	})
}

// inputResolver adapts a mutation that takes one "input" argument.
func inputResolver(fn func(in input) (any, error)) resolver {
	return func(args map[string]any) (any, error) {
		return fn(inputArg(args, "input"))
	}
}

// findItem resolves the itemId or path of an input. The itemId wins when
// both are given.
func (c *callContext) findItem(in input) (*item, error) {
	if err := checkDatabase(in.str("database")); err != nil {
		return nil, err
	}
	if id := in.str("itemId"); id != "" {
		if _, err := parseID(id); err != nil {
			return nil, err
		}
		return c.store.resolveItem(id)
	}
	if path := in.str("path"); path != "" {
		return c.store.resolveItem(path)
	}
	return nil, errors.New("missing item reference: give itemId or path")
}

// findTarget resolves the targetParentId or targetParentPath of a move or copy.
func (c *callContext) findTarget(in input) (*item, error) {
	if id := in.str("targetParentId"); id != "" {
		if _, err := parseID(id); err != nil {
			return nil, err
		}
		return c.store.resolveItem(id)
	}
	if path := in.str("targetParentPath"); path != "" {
		return c.store.resolveItem(path)
	}
	return nil, errors.New("missing target: give targetParentId or targetParentPath")
}

// itemPayload wraps an item version as the { item } payload of a mutation.
func (c *callContext) itemPayload(typ string, it *item, lang string, v *itemVersion) *record {
	return newRecord(typ, map[string]any{"item": c.authoringItem(it, lang, v)})
}

func (c *callContext) queryItem(args map[string]any) (any, error) {
	where := inputArg(args, "where")
	if where == nil {
		return nil, errors.New("missing argument where: give itemId or path")
	}
	it, err := c.findItem(where)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(where.str("language"))
	if err != nil {
		return nil, err
	}
	number, given := where.integer("version")
	v := it.version(lang, number)
	if given && v == nil {
		return nil, nil
	}
	return c.authoringItem(it, lang, v), nil
}

func (c *callContext) createItem(in input) (any, error) {
	if err := checkDatabase(in.str("database")); err != nil {
		return nil, err
	}
	parentID, err := parseID(in.str("parent"))
	if err != nil {
		return nil, fmt.Errorf("invalid parent: %w", err)
	}
	parent := c.store.items[parentID]
	if parent == nil {
		return nil, fmt.Errorf("parent item %s: %w", braced(parentID), errNotFound)
	}
	templateID, err := parseID(in.str("templateId"))
	if err != nil {
		return nil, fmt.Errorf("invalid templateId: %w", err)
	}
	tpl := c.store.templates[templateID]
	if tpl == nil {
		return nil, fmt.Errorf("template %s: %w", braced(templateID), errNotFound)
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}

	it, v, err := c.store.createItem(parent, in.str("name"), tpl, lang, in.fieldInputs("fields"), c.user)
	if err != nil {
		return nil, err
	}
	return c.itemPayload("CreateItemPayload", it, lang, v), nil
}

func (c *callContext) updateItem(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("version")
	v, err := c.store.updateItem(it, lang, number, in.fieldInputs("fields"), c.user)
	if err != nil {
		return nil, err
	}
	return c.itemPayload("UpdateItemPayload", it, lang, v), nil
}

// deleteItem removes the item whether or not permanently is set; the
// emulator keeps no recycle bin.
func (c *callContext) deleteItem(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	if err := c.store.deleteItem(it); err != nil {
		return nil, err
	}
	return newRecord("DeleteItemPayload", map[string]any{"successful": true}), nil
}

func (c *callContext) renameItem(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	if err := c.store.renameItem(it, in.str("newName"), defaultLanguage, c.user); err != nil {
		return nil, err
	}
	return c.itemPayload("RenameItemPayload", it, defaultLanguage, it.version(defaultLanguage, 0)), nil
}

// moveItem moves the item last among the target's children. A sortOrder
// sets the item's __Sortorder field.
func (c *callContext) moveItem(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	target, err := c.findTarget(in)
	if err != nil {
		return nil, err
	}
	if err := c.store.moveItem(it, target, -1); err != nil {
		return nil, err
	}
	if order, ok := in.integer("sortOrder"); ok {
		it.setValue(fieldSortorder, "", nil, fmt.Sprint(order))
	}
	return c.itemPayload("MoveItemPayload", it, defaultLanguage, it.version(defaultLanguage, 0)), nil
}

// copyItem copies the item and, unless deepCopy is false, its descendants.
func (c *callContext) copyItem(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	target, err := c.findTarget(in)
	if err != nil {
		return nil, err
	}
	name := in.str("copyItemName")
	if name == "" {
		name = it.name
	}
	dup, err := c.store.copyItem(it, target, name, in.boolean("deepCopy", true))
	if err != nil {
		return nil, err
	}
	return c.itemPayload("CopyItemPayload", dup, defaultLanguage, dup.version(defaultLanguage, 0)), nil
}

// addItemVersion adds a version that copies the version given as version,
// or the latest one.
func (c *callContext) addItemVersion(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	source, _ := in.integer("version")
	v, err := c.store.addVersion(it, lang, source, in.str("versionName"), c.user)
	if err != nil {
		return nil, err
	}
	return c.itemPayload("AddItemVersionPayload", it, lang, v), nil
}

// deleteItemVersion removes the given version, or the latest one, and
// returns the item at its latest remaining version.
func (c *callContext) deleteItemVersion(in input) (any, error) {
	it, err := c.findItem(in)
	if err != nil {
		return nil, err
	}
	lang, err := c.store.language(in.str("language"))
	if err != nil {
		return nil, err
	}
	number, _ := in.integer("version")
	if err := c.store.deleteVersion(it, lang, number); err != nil {
		return nil, err
	}
	return newRecord("DeleteItemVersionPayload", map[string]any{
		"item":       c.authoringItem(it, lang, it.version(lang, 0)),
		"successful": true,
	}), nil
}

// workflowTarget resolves the item { itemId|path, database, language,
// version } of a workflow mutation to one item version.
func (c *callContext) workflowTarget(in input) (*item, string, *itemVersion, error) {
	ref := in.object("item")
	it, err := c.findItem(ref)
	if err != nil {
		return nil, "", nil, err
	}
	lang, err := c.store.language(ref.str("language"))
	if err != nil {
		return nil, "", nil, err
	}
	number, _ := ref.integer("version")
	v := it.version(lang, number)
	if v == nil {
		return nil, "", nil, versionNotFound(it, lang, number)
	}
	return it, lang, v, nil
}

func (c *callContext) startWorkflow(in input) (any, error) {
	it, lang, v, err := c.workflowTarget(in)
	if err != nil {
		return nil, err
	}
	if err := c.store.startWorkflow(it, lang, v, c.user); err != nil {
		return nil, err
	}
	return newRecord("StartWorkflowPayload", map[string]any{"successful": true}), nil
}

// executeWorkflowCommand runs a command on one item version. When the item's
// current state does not offer the command, the result is successful: false
// with an error message, and the state stays unchanged.
func (c *callContext) executeWorkflowCommand(in input) (any, error) {
	commandID, err := parseID(in.str("commandId"))
	if err != nil {
		return nil, fmt.Errorf("invalid commandId: %w", err)
	}
	it, lang, v, err := c.workflowTarget(in)
	if err != nil {
		return nil, err
	}

	result := c.store.executeCommand(it, lang, v, commandID, in.str("comments"), c.user)
	var message any
	if !result.succeeded {
		message = result.message
	}
	return newRecord("ExecuteWorkflowCommandPayload", map[string]any{
		"successful": result.succeeded,
		"error":      message,
	}), nil
}

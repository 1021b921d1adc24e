package sitecore

import "github.com/google/uuid"

// IDs of the seeded content tree, in the dashed lower-case form of webhook
// payloads. The emulator accepts them in any GUID spelling.
//
// The IDs of /sitecore, content and Home, of the Sample Item and Folder
// templates, the Sample Item fields and the Sample Workflow with its states
// and commands are those of a stock Sitecore installation. Public code uses
// the same values, for example Sitecore.FakeDb and the constants of Sitecore's
// Pages end-to-end tests (PlatformGraphQL/Constants.cs). The News folder, the
// News Article template, its fields and the seeded article reuse the made-up
// values of this project's webhook examples.
const (
	RootID    = "11111111-1111-1111-1111-111111111111" // /sitecore
	ContentID = "0de95ae4-41ab-4d01-9eb0-67441b7c2450" // /sitecore/content
	HomeID    = "110d559f-dea5-42ea-9c1c-8a5df7e70ef9" // /sitecore/content/Home
	NewsID    = "0db0ce8c-77a3-4969-903f-138c626483d1" // /sitecore/content/Home/News

	// HarbourFestivalID is a News Article item in News, version 1 in "en",
	// in the Draft state.
	HarbourFestivalID = "89169dfe-e040-4376-9d86-ba2d17f0612b"

	SampleItemTemplateID  = "76036f5e-cbce-46d1-af0a-4143f9b557aa"
	FolderTemplateID      = "a87a00b1-e6db-45ab-8b54-636fec3b5523"
	NewsArticleTemplateID = "5cdb13e9-295a-4473-8f44-3fd03d3d4740"

	TitleFieldID    = "75577384-3c97-45da-a847-81b00500e250" // Sample Item, versioned
	TextFieldID     = "a60acd61-a6db-4182-8329-c957982cec74" // Sample Item, versioned
	HeadlineFieldID = "dd21f6ec-ad15-418a-be1a-a4db378ca1ff" // News Article, versioned
	BodyFieldID     = "486eb90d-f1cd-4110-9da5-6f1376b1bac7" // News Article, versioned
	TagsFieldID     = "c846c69f-b91d-43e5-b4cc-b23b089b0e6f" // News Article, shared

	SampleWorkflowID        = "a5bc37e7-ed96-4c1e-8590-a26e64db55ea"
	DraftStateID            = "190b1c84-f1be-47ed-aa41-f42193d9c8fc"
	AwaitingApprovalStateID = "46da5376-10dc-4b66-b464-afdaa29de84f"
	ApprovedStateID         = "fca998c5-0cc3-4f91-94d8-0a4e6caece88"
	SubmitCommandID         = "cf6a557d-0b86-4432-bf47-302a18238e74" // Draft → Awaiting Approval
	ApproveCommandID        = "f744cc9c-4bb1-4b38-8d5c-1e9ce7f45d2d" // Awaiting Approval → Approved
	RejectCommandID         = "e44f2d64-1eed-42ff-a7da-c07b834096ac" // Awaiting Approval → Draft
)

// Field IDs of the standard fields that the emulator models. They are the
// IDs of Sitecore's Standard template.
const (
	DisplayNameFieldID     = "b5e02ad9-d56f-4c41-a065-a133db87bdeb" // __Display name, unversioned
	SortorderFieldID       = "ba3f86a2-4a1c-4d78-b63d-91c2779c1b5e" // __Sortorder, shared
	WorkflowFieldID        = "a4f985d9-98b3-4b52-aaaf-4344f6e747c6" // __Workflow, shared
	WorkflowStateFieldID   = "3e431de1-525e-47a3-b6b0-1ccbec3a8c98" // __Workflow state, versioned
	CreatedFieldID         = "25bed78c-4957-4165-998a-ca1b52f67497" // __Created, versioned
	CreatedByFieldID       = "5dd74568-4d4b-44c1-b513-0af5f4cda34f" // __Created by, versioned
	UpdatedFieldID         = "d9cf14b1-fa16-4ba6-9288-e8a174d4d522" // __Updated, versioned
	UpdatedByFieldID       = "badd9cf9-53e0-4d0c-bcc0-2d784c282f6a" // __Updated by, versioned
	RenderingsFieldID      = "f1a1fe9e-a60c-4ddb-a3a0-bb5b29fe732e" // __Renderings (shared layout)
	FinalRenderingsFieldID = "04bf00db-f5fb-41f7-8ab7-22408372a981" // __Final Renderings (versioned layout)
)

var (
	fieldDisplayName   = &fieldDef{id: mustID(DisplayNameFieldID), name: "__Display name", scope: Unversioned}
	fieldSortorder     = &fieldDef{id: mustID(SortorderFieldID), name: "__Sortorder", scope: Shared}
	fieldWorkflow      = &fieldDef{id: mustID(WorkflowFieldID), name: "__Workflow", scope: Shared}
	fieldWorkflowState = &fieldDef{id: mustID(WorkflowStateFieldID), name: "__Workflow state", scope: Versioned}
	fieldCreated       = &fieldDef{id: mustID(CreatedFieldID), name: "__Created", scope: Versioned}
	fieldCreatedBy     = &fieldDef{id: mustID(CreatedByFieldID), name: "__Created by", scope: Versioned}
	fieldUpdated       = &fieldDef{id: mustID(UpdatedFieldID), name: "__Updated", scope: Versioned}
	fieldUpdatedBy     = &fieldDef{id: mustID(UpdatedByFieldID), name: "__Updated by", scope: Versioned}
	fieldRenderings    = &fieldDef{id: mustID(RenderingsFieldID), name: "__Renderings", scope: Shared}
	fieldFinalLayout   = &fieldDef{id: mustID(FinalRenderingsFieldID), name: "__Final Renderings", scope: Versioned}

	// standardFields are inherited by every template. A real Standard
	// template has about 80 fields; these are the ones the APIs here touch.
	standardFields = []*fieldDef{
		fieldDisplayName, fieldSortorder, fieldWorkflow, fieldWorkflowState,
		fieldCreated, fieldCreatedBy, fieldUpdated, fieldUpdatedBy,
		fieldRenderings, fieldFinalLayout,
	}
)

// newSampleWorkflow builds Sitecore's stock Sample Workflow. The icons are
// illustrative relative paths.
func newSampleWorkflow() *workflow {
	draft := &workflowState{id: mustID(DraftStateID), name: "Draft", displayName: "Draft", icon: "Office/16x16/edit.png"}
	awaiting := &workflowState{id: mustID(AwaitingApprovalStateID), name: "Awaiting Approval", displayName: "Awaiting Approval", icon: "Office/16x16/document_check.png"}
	approved := &workflowState{id: mustID(ApprovedStateID), name: "Approved", displayName: "Approved", icon: "Office/16x16/check.png", final: true}

	return &workflow{
		id:      mustID(SampleWorkflowID),
		name:    "Sample Workflow",
		initial: draft,
		states:  []*workflowState{draft, awaiting, approved},
		commands: []*workflowCommand{
			{id: mustID(SubmitCommandID), name: "Submit", from: draft, to: awaiting},
			{id: mustID(ApproveCommandID), name: "Approve", from: awaiting, to: approved},
			{id: mustID(RejectCommandID), name: "Reject", from: awaiting, to: draft},
		},
	}
}

// seed fills an empty store with the content tree described by the ID
// constants above.
func (s *store) seed() {
	sample := newSampleWorkflow()
	s.workflows = []*workflow{sample}

	root := &template{id: mustID("c6576836-910c-4a3d-ba03-c277dbd3b827"), name: "Root", fullName: "System/Root"}
	mainSection := &template{id: mustID("e3e2d58c-df95-4230-adc9-279924cece84"), name: "Main section", fullName: "System/Main section"}
	folder := &template{id: mustID(FolderTemplateID), name: "Folder", fullName: "Common/Folder"}
	sampleItem := &template{
		id: mustID(SampleItemTemplateID), name: "Sample Item", fullName: "Sample/Sample Item",
		fields: []*fieldDef{
			{id: mustID(TitleFieldID), name: "Title", scope: Versioned},
			{id: mustID(TextFieldID), name: "Text", scope: Versioned},
		},
	}
	newsArticle := &template{
		id: mustID(NewsArticleTemplateID), name: "News Article", fullName: "Project/News/News Article",
		fields: []*fieldDef{
			{id: mustID(HeadlineFieldID), name: "Headline", scope: Versioned},
			{id: mustID(BodyFieldID), name: "Body", scope: Versioned},
			{id: mustID(TagsFieldID), name: "Tags", scope: Shared},
		},
		workflow: sample,
	}
	for _, t := range []*template{root, mainSection, folder, sampleItem, newsArticle} {
		s.templates[t.id] = t
	}

	s.root = newItem(mustID(RootID), "sitecore", root)
	s.items[s.root.id] = s.root
	content := s.seedItem(s.root, ContentID, "content", mainSection)
	home := s.seedItem(content, HomeID, "Home", sampleItem)
	s.seedValues(home, map[string]string{"Title": "Sitecore Experience Platform", "Text": "<p>Welcome to Sitecore</p>"})
	news := s.seedItem(home, NewsID, "News", folder)

	article := s.seedItem(news, HarbourFestivalID, "harbour-festival", newsArticle)
	s.seedValues(article, map[string]string{
		"Headline": "Harbour festival returns",
		"Body":     "<p>Boats, music and food on the quay.</p>",
		"Tags":     "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}|{AF48E28B-4D4E-47CD-A06B-AA41E4AA7C1D}",
	})
}

// seedItem adds an item with version 1 in English, created by sitecore\admin.
func (s *store) seedItem(parent *item, id, name string, tpl *template) *item {
	it := newItem(mustID(id), name, tpl)
	s.attach(it, parent, -1)
	s.items[it.id] = it
	s.initFirstVersion(it, defaultLanguage, `sitecore\admin`)
	return it
}

func (s *store) seedValues(it *item, values map[string]string) {
	v := it.version(defaultLanguage, 0)
	for name, value := range values {
		it.setValue(it.template.fieldByName(name), defaultLanguage, v, value)
	}
}

// nilID is the all-zero GUID Sitecore uses for "no ID" (ID.Null).
var nilID = uuid.Nil

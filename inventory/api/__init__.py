"""REST API of inventory under /api/v1/ (DOMAIN.md "Interfaces"). Other apps add their own
`path("api/v1/", include(...))`; there is no global router to edit."""

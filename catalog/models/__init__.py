"""The catalog's tables, declared once, by area: accounts and sources
(`accounts`), teams, their members and tags (`teams`), curation
(`curation`), webhook subscriptions and deliveries (`webhooks`), crawl
jobs and batches (`crawls`), the catalog of crawled objects (`crawled`),
insights (`insights`) and the crawl's staging (`staging`); `base` holds
the declarative base and its naming convention. Importing this package declares them all, so `Base.metadata` holds every
table.

Alembic owns the schema (migrations/) and a test (tests/test_models.py)
fails on any difference between these declarations and what the migrations
build: columns, types, server defaults, keys, indexes (partial, expression
and trigram ones), sequences and which tables are unlogged. The ORM uses the
classes for accounts, sources and jobs; the crawl's bulk paths run set-based
SQL over the same tables."""

from __future__ import annotations

from .accounts import RevokedToken, Source, User
from .base import ACTIVE_STATES_SQL, EXTENSIONS, NAMING_CONVENTION, Base
from .crawled import (
    ActivityFigures,
    CatalogColumn,
    CatalogColumnLineage,
    CatalogColumnName,
    CatalogEnum,
    CatalogForeignKey,
    CatalogObject,
    CatalogRenameCandidate,
    CatalogTable,
    CatalogTableActivity,
    CatalogTableVersion,
    ChangeEvent,
)
from .crawls import CrawlBatch, CrawlJob
from .curation import CURATED_KINDS, Curation, CurationAudit
from .diagrams import CatalogDiagramCache
from .insights import CatalogFinding, CatalogInferredKey, CatalogInsightIgnore, CatalogInsightRun
from .staging import (
    STAGING_TABLES,
    CrawlSeen,
    CrawlStagedActivity,
    CrawlStagedColumn,
    CrawlStagedStatistics,
    CrawlStagedTable,
)
from .statistics import CatalogColumnStatistics, CatalogSensitiveColumn, StatisticsFigures
from .teams import ROLES, Team, TeamMember, TeamTag
from .usage import CatalogIndexUsage, CatalogTableStatement, CrawlStagedIndexUsage, CrawlStagedStatement
from .webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "CatalogIndexUsage",
    "CatalogTableStatement",
    "CrawlStagedIndexUsage",
    "CrawlStagedStatement",
    "ACTIVE_STATES_SQL",
    "CURATED_KINDS",
    "EXTENSIONS",
    "NAMING_CONVENTION",
    "ROLES",
    "STAGING_TABLES",
    "ActivityFigures",
    "Base",
    "CatalogColumn",
    "CatalogDiagramCache",
    "CatalogColumnStatistics",
    "CatalogColumnName",
    "CatalogEnum",
    "CatalogFinding",
    "CatalogForeignKey",
    "CatalogColumnLineage",
    "CatalogInferredKey",
    "CatalogInsightIgnore",
    "CatalogInsightRun",
    "CatalogObject",
    "CatalogRenameCandidate",
    "CatalogSensitiveColumn",
    "CatalogTable",
    "CatalogTableActivity",
    "CatalogTableVersion",
    "ChangeEvent",
    "CrawlBatch",
    "CrawlJob",
    "CrawlSeen",
    "CrawlStagedActivity",
    "CrawlStagedColumn",
    "CrawlStagedStatistics",
    "CrawlStagedTable",
    "Curation",
    "CurationAudit",
    "RevokedToken",
    "StatisticsFigures",
    "Source",
    "Team",
    "TeamMember",
    "TeamTag",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]

"""MongoEngine documents and the rules that belong to them."""
from documents.audit import AuditEntry
from documents.importbatch import ImportBatch
from documents.member import Member
from documents.organisation import Organisation
from documents.user import Role, User
from documents.vocabulary import Vocabulary

__all__ = ["AuditEntry", "ImportBatch", "Member", "Organisation", "Role", "User", "Vocabulary"]

"""MongoEngine documents and the rules that belong to them."""
from documents.audit import AuditEntry
from documents.importbatch import ImportBatch
from documents.member import Member
from documents.organisation import Organisation
from documents.pledge import Pledge, State
from documents.template import PledgeTemplate
from documents.user import Role, User
from documents.vocabulary import Vocabulary

__all__ = ["AuditEntry", "ImportBatch", "Member", "Organisation", "Pledge", "PledgeTemplate", "Role", "State",
           "User", "Vocabulary"]

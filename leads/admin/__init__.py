"""The marketers' admin: leads (list, export, GDPR erase, dashboard), the records of
exports and erasures, and the training materials. Importing the package registers them."""

from leads.admin.lead import LeadAdmin
from leads.admin.materials import TrainingMaterialAdmin
from leads.admin.records import LeadErasureAdmin, LeadExportAdmin

__all__ = ["LeadAdmin", "LeadErasureAdmin", "LeadExportAdmin", "TrainingMaterialAdmin"]

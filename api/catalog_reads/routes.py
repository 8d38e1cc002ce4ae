from ..extensions import Blueprint

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Catalog reads and search")

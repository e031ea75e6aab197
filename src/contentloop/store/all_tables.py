"""Import every table module so `Base.metadata` knows the whole schema (Alembic, tests).

A package that adds tables puts them in `store/tables_<area>.py` and adds one import here.
"""

from . import (
    tables,  # noqa: F401
    tables_analytics,  # noqa: F401
    tables_creative,  # noqa: F401
    tables_plans,  # noqa: F401
    tables_publish,  # noqa: F401
    tables_scale,  # noqa: F401
    tables_trends,  # noqa: F401
    tables_web,  # noqa: F401
)

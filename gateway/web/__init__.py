"""Templates and static files of the citizen portal and the admin console.

The pages are built from GOV.UK Frontend's components (vendored in static/govuk, themed as this platform),
rendered by the Jinja macros of govuk-frontend-jinja, which import each other as "govuk_frontend_jinja/...".
"""

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(WEB_DIR / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
    )
)

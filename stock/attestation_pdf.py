"""The attestation de don as a PDF (fpdf2), from the content frozen at issue."""

import logging
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from .models import Attestation

# fpdf2 subsets embedded fonts with fontTools, which logs every step at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

LEGAL = {
    Attestation.Form.COMPANY: (
        "Reçu au titre des dons à certains organismes d'intérêt général (article 238 bis du code "
        "général des impôts), établi conformément au modèle Cerfa n° 16216. Les denrées sont valorisées "
        "à leur prix de revient (coût de revient des biens donnés), et à 50 % de ce prix lorsqu'elles "
        "sont remises dans les trois derniers jours précédant leur date limite de consommation. La date "
        "du don est celle de la prise en charge des denrées par l'organisme. Le donateur peut bénéficier "
        "d'une réduction d'impôt égale à 60 % du montant du don, dans la limite de 20 000 € ou de 5 ‰ "
        "du chiffre d'affaires hors taxes lorsque ce dernier montant est plus élevé."
    ),
    Attestation.Form.INDIVIDUAL: (
        "Reçu au titre des dons à certains organismes d'intérêt général (article 200 du code général "
        "des impôts), établi conformément au modèle Cerfa n° 11580. Don en nature ; forme du don : "
        "remise de denrées ; nature du don : don en nature. La date du don est celle de la prise en "
        "charge des denrées par l'organisme."
    ),
}


def _money(value) -> str:
    return f"{Decimal(value):,.2f} €".replace(",", " ").replace(".", ",")


class _PDF(FPDF):
    def __init__(self):
        super().__init__(format="A4")
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family_name = "DejaVu"
        else:  # core fonts: latin-1 only
            self.family_name = "Helvetica"

    def text_(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.replace("€", "EUR").replace("‰", "pour mille").replace("’", "'").replace("œ", "oe")
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: int, bold: bool = False):
        self.set_font(self.family_name, "B" if bold else "", size)


def attestation_pdf(attestation: Attestation) -> bytes:
    content = attestation.content
    issuer, donor = content.get("issuer", {}), content.get("donor", {})
    pdf = _PDF()
    pdf.set_title(f"Attestation de don {attestation.number}")
    pdf.add_page()
    t = pdf.text_
    pdf.font(15, bold=True)
    pdf.multi_cell(0, 8, t(f"Attestation de don n° {attestation.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.font(9)
    pdf.multi_cell(0, 5, t(attestation.get_form_display()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.font(11, bold=True)
    pdf.cell(0, 6, t("Organisme bénéficiaire"), new_x="LMARGIN", new_y="NEXT")
    pdf.font(10)
    for line in (issuer.get("name"), issuer.get("address"), issuer.get("identifier"), issuer.get("purpose")):
        if line:
            pdf.multi_cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.font(11, bold=True)
    pdf.cell(0, 6, t("Donateur"), new_x="LMARGIN", new_y="NEXT")
    pdf.font(10)
    for line in (
        donor.get("name"),
        donor.get("address"),
        f"SIRET : {donor['siret']}" if donor.get("siret") else "",
    ):
        if line:
            pdf.multi_cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    period = (
        f"le {attestation.period_start:%d/%m/%Y}"
        if attestation.period_start == attestation.period_end
        else f"du {attestation.period_start:%d/%m/%Y} au {attestation.period_end:%d/%m/%Y}"
    )
    pdf.multi_cell(
        0,
        5,
        t(f"Dons en nature (denrées alimentaires et produits) pris en charge {period}."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    widths = (20, 62, 18, 18, 22, 22, 28)
    headers = ("Date", "Désignation", "Qté", "Poids kg", "Val. unit.", "Valeur", "Méthode")
    pdf.font(8, bold=True)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 6, t(header), border=1)
    pdf.ln()
    pdf.font(8)
    for good in content.get("goods", []):
        cells = (
            good["date"][8:10] + "/" + good["date"][5:7] + "/" + good["date"][:4],
            good["label"][:40],
            f"{Decimal(good['quantity']).normalize():f}",
            good["weight_kg"],
            good["unit_value"],
            _money(good["value"]),
            good["method_label"][:22],
        )
        for width, cell in zip(widths, cells, strict=True):
            pdf.cell(width, 5, t(str(cell)), border=1)
        pdf.ln()
    pdf.font(10, bold=True)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        6,
        t(
            f"Poids total : {attestation.total_weight_kg} kg — Valeur totale du don : "
            f"{_money(attestation.total_value)}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.font(8)
    pdf.multi_cell(0, 4, t(LEGAL[attestation.form]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.font(10)
    pdf.multi_cell(
        0,
        5,
        t(f"Fait le {attestation.issued_on:%d/%m/%Y}. {issuer.get('signatory') or ''}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 5, t("Signature :"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

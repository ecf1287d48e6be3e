"""Demo data of stock: ~300 French grocery products with valid EAN-13 codes in ~20 categories,
locations per site, and lots received through donations and purchases (so the ledger holds every
receipt), some close to their dates and a few past them, plus attestations and temperature logs.

Deterministic (random.Random(42), dates relative to today) and idempotent: the catalogue is found
by natural keys, and stock is only brought in when the demo has not done it before.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import services
from .barcodes import with_check_digit
from .models import Barcode, Category, Donation, Location, Lot, Product, TemperatureReading

P, KG, L = Product.Unit.PIECE, Product.Unit.KG, Product.Unit.LITRE
AMB, CHI, FRO = Product.Storage.AMBIENT, Product.Storage.CHILLED, Product.Storage.FROZEN

# category: (food group, given free, [(name, unit, net kg, market price, storage, brands)])
CATALOGUE = {
    "Pâtes, riz et céréales": (
        "starches",
        False,
        [
            ("Spaghetti 500 g", P, "0.5", "0.99", AMB, ["Panzani", "Barilla"]),
            ("Coquillettes 500 g", P, "0.5", "0.89", AMB, ["Lustucru", "Panzani"]),
            ("Penne rigate 500 g", P, "0.5", "1.05", AMB, ["Barilla", "Panzani"]),
            ("Riz long grain 1 kg", P, "1", "1.79", AMB, ["Taureau Ailé", "Uncle Ben's"]),
            ("Riz basmati 500 g", P, "0.5", "2.15", AMB, ["Taureau Ailé", "Lustucru"]),
            ("Semoule moyenne 500 g", P, "0.5", "1.10", AMB, ["Ferrero", "Tipiak"]),
            ("Lentilles vertes 500 g", P, "0.5", "1.69", AMB, ["Vivien Paille", "Sabarot"]),
            ("Flocons d'avoine 500 g", P, "0.5", "1.45", AMB, ["Quaker", "Jordans"]),
        ],
    ),
    "Conserves de légumes": (
        "fruits_vegetables",
        False,
        [
            ("Haricots verts extra-fins 400 g", P, "0.4", "1.39", AMB, ["Bonduelle", "D'aucy"]),
            ("Petits pois carottes 400 g", P, "0.4", "1.29", AMB, ["Bonduelle", "D'aucy"]),
            ("Maïs doux 300 g", P, "0.3", "1.15", AMB, ["Géant Vert", "Bonduelle"]),
            ("Tomates pelées 400 g", P, "0.4", "1.05", AMB, ["Cirio", "Mutti"]),
            ("Ratatouille 375 g", P, "0.375", "2.10", AMB, ["Cassegrain", "D'aucy"]),
            ("Pois chiches 400 g", P, "0.4", "0.95", AMB, ["Bonduelle", "D'aucy"]),
            ("Compote de pommes 4 x 100 g", P, "0.4", "1.75", AMB, ["Andros", "Materne"]),
            ("Macédoine de légumes 400 g", P, "0.4", "1.20", AMB, ["Bonduelle", "D'aucy"]),
        ],
    ),
    "Plats cuisinés": (
        "prepared",
        False,
        [
            ("Cassoulet 840 g", P, "0.84", "3.95", AMB, ["William Saurin", "La Belle Chaurienne"]),
            ("Raviolis bolognaise 800 g", P, "0.8", "2.45", AMB, ["Panzani", "Zapetti"]),
            ("Chili con carne 400 g", P, "0.4", "2.60", AMB, ["William Saurin", "Garbit"]),
            (
                "Petit salé aux lentilles 840 g",
                P,
                "0.84",
                "3.80",
                AMB,
                ["William Saurin", "Raynal et Roquelaure"],
            ),
            ("Soupe de légumes 1 l", L, "1", "2.30", AMB, ["Liebig", "Knorr"]),
            ("Choucroute garnie 800 g", P, "0.8", "3.65", AMB, ["William Saurin", "Garbit"]),
            ("Hachis parmentier 300 g", P, "0.3", "2.95", CHI, ["Fleury Michon", "Marie"]),
            ("Lasagnes bolognaise 300 g", P, "0.3", "2.85", CHI, ["Fleury Michon", "Marie"]),
        ],
    ),
    "Conserves de poisson": (
        "proteins",
        False,
        [
            ("Thon entier au naturel 140 g", P, "0.14", "2.20", AMB, ["Petit Navire", "Saupiquet"]),
            ("Sardines à l'huile d'olive 135 g", P, "0.135", "1.95", AMB, ["Connétable", "Saupiquet"]),
            ("Maquereaux au vin blanc 176 g", P, "0.176", "1.85", AMB, ["Petit Navire", "Saupiquet"]),
            ("Miettes de thon à la tomate 160 g", P, "0.16", "1.60", AMB, ["Petit Navire", "Saupiquet"]),
            ("Rillettes de thon 125 g", P, "0.125", "2.05", AMB, ["Petit Navire", "Saupiquet"]),
        ],
    ),
    "Viandes et charcuterie": (
        "proteins",
        False,
        [
            ("Jambon blanc 4 tranches", P, "0.16", "2.45", CHI, ["Herta", "Fleury Michon"]),
            ("Blanc de poulet 4 tranches", P, "0.12", "2.35", CHI, ["Herta", "Fleury Michon"]),
            ("Saucisses de Strasbourg x6", P, "0.35", "2.60", CHI, ["Herta", "Père Dodu"]),
            ("Lardons fumés 2 x 100 g", P, "0.2", "2.15", CHI, ["Herta", "Fleury Michon"]),
            ("Steak haché 5 % x2", P, "0.2", "3.40", CHI, ["Charal", "Bigard"]),
            ("Cuisses de poulet 1 kg", KG, "1", "5.90", CHI, ["Le Gaulois", "Loué"]),
        ],
    ),
    "Produits laitiers": (
        "dairy",
        False,
        [
            ("Lait demi-écrémé UHT 1 l", L, "1.03", "1.05", AMB, ["Lactel", "Candia"]),
            ("Yaourt nature x4", P, "0.5", "1.50", CHI, ["Danone", "Yoplait"]),
            ("Yaourt aux fruits x8", P, "1", "2.60", CHI, ["Danone", "Yoplait"]),
            ("Fromage blanc 500 g", P, "0.5", "1.85", CHI, ["Danone", "Malo"]),
            ("Crème fraîche épaisse 20 cl", P, "0.2", "1.40", CHI, ["Président", "Elle & Vire"]),
            ("Beurre doux 250 g", P, "0.25", "2.75", CHI, ["Président", "Paysan Breton"]),
            ("Crème dessert chocolat x4", P, "0.5", "1.90", CHI, ["Danette", "Mont Blanc"]),
            ("Lait entier UHT 1 l", L, "1.03", "1.20", AMB, ["Lactel", "Candia"]),
        ],
    ),
    "Fromages": (
        "dairy",
        False,
        [
            ("Emmental râpé 200 g", P, "0.2", "2.10", CHI, ["Président", "Entremont"]),
            ("Camembert 250 g", P, "0.25", "2.30", CHI, ["Président", "Lepetit"]),
            ("Comté 200 g", P, "0.2", "3.95", CHI, ["Juraflore", "Entremont"]),
            ("Fromage fondu x8 portions", P, "0.133", "1.95", CHI, ["La Vache qui rit", "Kiri"]),
            ("Mozzarella 125 g", P, "0.125", "1.15", CHI, ["Galbani", "Président"]),
        ],
    ),
    "Œufs": (
        "proteins",
        False,
        [
            ("Œufs frais plein air x6", P, "0.36", "2.20", AMB, ["Loué", "Cocorette"]),
            ("Œufs frais x12", P, "0.72", "3.60", AMB, ["Matines", "Cocorette"]),
        ],
    ),
    "Fruits et légumes frais": (
        "fruits_vegetables",
        False,
        [
            ("Pommes de terre", KG, "1", "1.40", AMB, ["Producteur local", "Vrac"]),
            ("Carottes", KG, "1", "1.30", AMB, ["Producteur local", "Vrac"]),
            ("Pommes Golden", KG, "1", "2.20", AMB, ["Producteur local", "Vrac"]),
            ("Bananes", KG, "1", "1.95", AMB, ["Vrac", "Équitable"]),
            ("Oignons jaunes", KG, "1", "1.60", AMB, ["Producteur local", "Vrac"]),
            ("Tomates grappe", KG, "1", "2.90", AMB, ["Producteur local", "Vrac"]),
            ("Salade laitue pièce", P, "0.35", "0.99", CHI, ["Producteur local", "Vrac"]),
        ],
    ),
    "Surgelés": (
        "prepared",
        False,
        [
            ("Poêlée de légumes 1 kg", P, "1", "3.20", FRO, ["Bonduelle", "Picard"]),
            ("Épinards hachés 1 kg", P, "1", "2.40", FRO, ["Bonduelle", "D'aucy"]),
            ("Filets de colin panés x6", P, "0.4", "3.90", FRO, ["Findus", "Capitaine Cook"]),
            ("Frites au four 1 kg", P, "1", "2.30", FRO, ["McCain", "Lutosa"]),
            ("Pizza margherita", P, "0.4", "2.80", FRO, ["Buitoni", "Sodebo"]),
            ("Steaks hachés surgelés x10", P, "1", "6.90", FRO, ["Charal", "Bigard"]),
        ],
    ),
    "Petit-déjeuner": (
        "sweet",
        False,
        [
            ("Café moulu 250 g", P, "0.25", "3.20", AMB, ["Carte Noire", "Jacques Vabre"]),
            ("Chocolat en poudre 800 g", P, "0.8", "4.50", AMB, ["Nesquik", "Banania"]),
            ("Corn flakes 500 g", P, "0.5", "2.60", AMB, ["Kellogg's", "Nestlé"]),
            ("Thé noir 25 sachets", P, "0.05", "1.90", AMB, ["Lipton", "Éléphant"]),
            ("Biscottes x36", P, "0.3", "1.85", AMB, ["Heudebert", "Pasquier"]),
            ("Confiture de fraises 370 g", P, "0.37", "2.35", AMB, ["Bonne Maman", "Andros"]),
            ("Pâte à tartiner 400 g", P, "0.4", "3.40", AMB, ["Nutella", "Lindt"]),
            ("Miel toutes fleurs 500 g", P, "0.5", "4.90", AMB, ["Lune de Miel", "Famille Michaud"]),
        ],
    ),
    "Biscuits et confiseries": (
        "sweet",
        False,
        [
            ("Petit Beurre 200 g", P, "0.2", "1.30", AMB, ["Lu", "St Michel"]),
            ("Madeleines x12", P, "0.3", "2.10", AMB, ["St Michel", "Ker Cadélac"]),
            ("Cookies pépites de chocolat 200 g", P, "0.2", "1.95", AMB, ["Granola", "Pépito"]),
            ("Gâteaux au chocolat x10", P, "0.3", "2.45", AMB, ["Savane", "Brossard"]),
            ("Tablette chocolat noir 100 g", P, "0.1", "1.60", AMB, ["Côte d'Or", "Poulain"]),
            ("Compote à boire x4", P, "0.36", "2.25", AMB, ["Pom'Potes", "Andros"]),
        ],
    ),
    "Huiles et condiments": (
        "fats",
        False,
        [
            ("Huile de tournesol 1 l", L, "0.92", "2.45", AMB, ["Lesieur", "Fruit d'Or"]),
            ("Huile d'olive vierge extra 50 cl", L, "0.46", "5.90", AMB, ["Puget", "Carapelli"]),
            ("Moutarde de Dijon 370 g", P, "0.37", "1.55", AMB, ["Amora", "Maille"]),
            ("Mayonnaise 235 g", P, "0.235", "1.95", AMB, ["Amora", "Lesieur"]),
            ("Ketchup 560 g", P, "0.56", "2.30", AMB, ["Heinz", "Amora"]),
            ("Sel fin 1 kg", P, "1", "0.75", AMB, ["La Baleine", "Cérébos"]),
            ("Vinaigre de vin 1 l", L, "1", "1.10", AMB, ["Amora", "Maille"]),
        ],
    ),
    "Boissons": (
        "drinks",
        False,
        [
            ("Eau de source 1,5 l", L, "1.5", "0.35", AMB, ["Cristaline", "Volvic"]),
            ("Jus d'orange 1 l", L, "1", "1.95", AMB, ["Joker", "Tropicana"]),
            ("Sirop de grenadine 75 cl", L, "0.75", "2.15", AMB, ["Teisseire", "Moulin de Valdonne"]),
            ("Jus de pomme 1 l", L, "1", "1.65", AMB, ["Joker", "Pressade"]),
            ("Eau gazeuse 1 l", L, "1", "0.65", AMB, ["Perrier", "Badoit"]),
        ],
    ),
    "Pain et boulangerie": (
        "starches",
        False,
        [
            ("Pain de mie complet 500 g", P, "0.5", "1.85", AMB, ["Harrys", "Jacquet"]),
            ("Baguette précuite x2", P, "0.5", "1.30", AMB, ["Ancel", "Pasquier"]),
            ("Brioche tranchée 500 g", P, "0.5", "2.40", AMB, ["Pasquier", "Harrys"]),
            ("Pains au lait x10", P, "0.35", "1.95", AMB, ["Pasquier", "Harrys"]),
        ],
    ),
    "Épicerie sucrée": (
        "sweet",
        False,
        [
            ("Sucre en poudre 1 kg", P, "1", "1.25", AMB, ["Daddy", "Béghin Say"]),
            ("Farine de blé T45 1 kg", P, "1", "0.95", AMB, ["Francine", "Gruau d'Or"]),
            ("Levure chimique x6", P, "0.066", "0.95", AMB, ["Alsa", "Ancel"]),
            ("Riz au lait x4", P, "0.5", "1.95", CHI, ["La Laitière", "Mamie Nova"]),
        ],
    ),
    "Bébé": (
        "baby",
        False,
        [
            ("Lait infantile 2e âge 800 g", P, "0.8", "14.90", AMB, ["Guigoz", "Gallia"]),
            ("Petits pots légumes x2", P, "0.4", "2.30", AMB, ["Blédina", "Nestlé"]),
            ("Couches taille 4 x44", P, "1.2", "12.90", AMB, ["Pampers", "Huggies"]),
            ("Lingettes bébé x72", P, "0.4", "2.10", AMB, ["Pampers", "Mixa"]),
            ("Céréales bébé 250 g", P, "0.25", "3.20", AMB, ["Blédina", "Nestlé"]),
        ],
    ),
    "Hygiène": (
        "hygiene",
        False,
        [
            ("Gel douche 250 ml", P, "0.25", "2.10", AMB, ["Le Petit Marseillais", "Dove"]),
            ("Shampooing 250 ml", P, "0.25", "2.60", AMB, ["Elsève", "Garnier"]),
            ("Dentifrice 75 ml", P, "0.1", "1.85", AMB, ["Colgate", "Signal"]),
            ("Savon de Marseille 300 g", P, "0.3", "1.90", AMB, ["Le Chat", "Marius Fabre"]),
            ("Papier toilette x12", P, "1.1", "4.50", AMB, ["Lotus", "Moltonel"]),
            ("Serviettes hygiéniques x16", P, "0.2", "2.90", AMB, ["Always", "Nana"]),
            ("Brosse à dents", P, "0.02", "1.50", AMB, ["Signal", "Colgate"]),
            ("Déodorant 200 ml", P, "0.2", "2.95", AMB, ["Narta", "Dove"]),
        ],
    ),
    "Entretien": (
        "household",
        False,
        [
            ("Liquide vaisselle 500 ml", P, "0.5", "1.60", AMB, ["Mir", "Paic"]),
            ("Lessive liquide 1,5 l", L, "1.5", "6.90", AMB, ["Le Chat", "Skip"]),
            ("Nettoyant multi-usages 750 ml", P, "0.75", "2.20", AMB, ["Saint Marc", "Mr Propre"]),
            ("Éponges x4", P, "0.05", "1.40", AMB, ["Spontex", "Scotch-Brite"]),
            ("Sacs poubelle 30 l x20", P, "0.2", "1.75", AMB, ["Handy Bag", "Alfapac"]),
        ],
    ),
    "FEAD / FSE+ (aide européenne)": (
        "starches",
        True,
        [
            ("Pâtes FSE+ 1 kg", P, "1", "1.50", AMB, ["Aide UE"]),
            ("Lait UHT FSE+ 1 l", L, "1.03", "1.05", AMB, ["Aide UE"]),
            ("Haricots blancs FSE+ 400 g", P, "0.4", "1.10", AMB, ["Aide UE"]),
            ("Huile de colza FSE+ 1 l", L, "0.92", "2.30", AMB, ["Aide UE"]),
            ("Farine FSE+ 1 kg", P, "1", "0.95", AMB, ["Aide UE"]),
            ("Thon FSE+ 140 g", P, "0.14", "1.90", AMB, ["Aide UE"]),
        ],
    ),
    "Vrac": (
        "other",
        False,
        [
            ("Lentilles corail en vrac", KG, "1", "3.90", AMB, ["Vrac"]),
            ("Riz complet en vrac", KG, "1", "2.80", AMB, ["Vrac"]),
            ("Pois cassés en vrac", KG, "1", "2.60", AMB, ["Vrac"]),
            ("Amandes en vrac", KG, "1", "14.50", AMB, ["Vrac"]),
        ],
    ),
}

VARIANT_SIZES = {"Marque repère": Decimal("0.82"), "Eco+": Decimal("0.65")}

LOCATIONS = [
    ("Réserve", Location.Kind.RESERVE),
    ("Rayon", Location.Kind.SHOP_FLOOR),
    ("Réfrigérateur", Location.Kind.FRIDGE),
    ("Congélateur", Location.Kind.FREEZER),
]


def _catalogue(rng: random.Random) -> list[Product]:
    products: list[Product] = []
    used_codes = set(Barcode.objects.values_list("code", flat=True))
    for category_name, (food_group, given_free, items) in CATALOGUE.items():
        category, _ = Category.objects.get_or_create(
            name=category_name, defaults={"food_group": food_group, "given_free": given_free}
        )
        for name, unit, weight, price, storage, brands in items:
            variants = [(brand, Decimal(price)) for brand in brands]
            if not given_free and unit == P and len(products) % 3 == 0:
                # Store brands, cheaper: more products as real shelves have.
                variants += [
                    (brand, (Decimal(price) * rate).quantize(Decimal("0.01")))
                    for brand, rate in VARIANT_SIZES.items()
                ]
            for brand, market_price in variants:
                code = None
                while code is None or code in used_codes:
                    code = with_check_digit("3" + "".join(str(rng.randint(0, 9)) for _ in range(11)))
                product, created = Product.objects.get_or_create(
                    name=name,
                    brand=brand,
                    defaults={
                        "category": category,
                        "unit": unit,
                        "net_weight_kg": Decimal(weight),
                        "market_price": market_price,
                        "storage": storage,
                        "low_stock_threshold": Decimal(rng.choice([0, 0, 0, 2, 3, 5])),
                    },
                )
                if created:
                    if unit == KG and brand == "Vrac":
                        services.internal_code_assign(product=product)
                    else:
                        Barcode.objects.create(product=product, code=code, kind=Barcode.Kind.EAN13)
                used_codes.add(code)
                products.append(product)
    return products


def _locations(site) -> dict[str, Location]:
    return {
        kind: Location.objects.get_or_create(site=site, name=name, defaults={"kind": kind})[0]
        for name, kind in LOCATIONS
    }


def _dates(product: Product, donated_on: datetime.date, today: datetime.date, rng: random.Random) -> dict:
    if product.storage == CHI or (product.unit == KG and product.category.food_group == "fruits_vegetables"):
        # A few lots already past their DLC (to be wasted), many within days, the rest fresh.
        days = rng.choice([-1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 21, 25, 30])
        return {"use_by": max(today + datetime.timedelta(days=days), donated_on + datetime.timedelta(days=2))}
    if product.storage == FRO:
        return {"best_before": today + datetime.timedelta(days=rng.randint(30, 300))}
    days = rng.choices(
        [-200, -60, -10, 5, 40, 90, 150, 200, 300, 400, 500], weights=[1, 2, 3, 4, 8, 10, 10, 10, 10, 10, 10]
    )[0]
    return {"best_before": today + datetime.timedelta(days=days)}


def _quantity(product: Product, rng: random.Random) -> Decimal:
    if product.unit == KG:
        return Decimal(rng.randint(20, 250)) / 10
    return Decimal(rng.choice([4, 6, 8, 10, 12, 15, 20, 24, 30]))


def _bring_in_stock(ctx, products: list[Product], rng: random.Random) -> None:
    today = timezone.localdate()
    manager = ctx.users.get("responsable")
    volunteer = ctx.users.get("benevole")
    partner_user = ctx.users.get("partenaire")
    stocked = [p for p in products if p.category.name != "Vrac" or rng.random() < 0.5]
    fead = [p for p in products if p.category.given_free]
    for site_index, site in enumerate(ctx.sites):
        locations = _locations(site)
        target = {CHI: locations[Location.Kind.FRIDGE], FRO: locations[Location.Kind.FREEZER]}
        pool = [p for p in stocked if not p.category.given_free]
        rng.shuffle(pool)
        per_site = pool[: int(len(pool) * 0.7)]
        chunks = [per_site[i::6] for i in range(6)]
        for number, chunk in enumerate(chunks):
            partner = ctx.partners[number % len(ctx.partners)]
            donated_on = today - datetime.timedelta(days=3 + 5 * (5 - number))
            lines = []
            for product in chunk[:30]:
                dates = _dates(product, donated_on, today, rng)
                if partner.kind == "store" and dates.get("use_by"):
                    dates["use_by"] = max(dates["use_by"], donated_on + datetime.timedelta(days=3))
                lines.append(
                    {
                        "product": product,
                        "quantity": _quantity(product, rng),
                        "lot_number": f"L{rng.randint(1000, 9999)}{rng.choice('ABCDEFGH')}",
                        "unit_cost": (product.market_price * Decimal("0.6")).quantize(Decimal("0.01"))
                        if partner.kind == "store"
                        else None,
                        **dates,
                    }
                )
            origin = None
            if partner.kind == "food_bank" and number == 0:
                lines += [
                    {
                        "product": p,
                        "quantity": Decimal(rng.choice([10, 20, 30])),
                        "best_before": today + datetime.timedelta(days=rng.randint(60, 400)),
                        "lot_number": f"UE{rng.randint(100, 999)}",
                    }
                    for p in fead
                ]
                origin = "fead"
            actor = partner_user if partner.pk == getattr(partner_user, "partner_id", None) else manager
            donation = services.donation_create(
                partner=partner,
                site=site,
                lines=lines,
                actor=actor,
                donated_on=donated_on,
                origin=origin,
                note=f"Démo — livraison n° {number + 1}",
            )
            if number == 5:
                continue  # the latest one waits at the receiving desk
            counted = {}
            for line in donation.lines.select_related("product"):
                data = {}
                if line.product.storage in target:
                    data["location"] = target[line.product.storage]
                if rng.random() < 0.08 and line.quantity > 2:
                    data["received_quantity"] = line.quantity - 1  # one unit short on delivery
                counted[line.pk] = data
            services.donation_receive(
                donation=donation,
                location=locations[Location.Kind.RESERVE],
                counted=counted,
                actor=volunteer or manager,
                received_on=donated_on,
            )
            if number in (1, 2, 3):  # the charity, the store and the food bank get theirs
                services.attestation_issue(partner=partner, donation=donation, actor=manager)
        # One purchase with own funds, received.
        bought = [p for p in stocked if p.category.food_group in ("hygiene", "baby")][:8]
        purchase = services.purchase_create(
            supplier="Grossiste Normandie Distribution",
            site=site,
            actor=manager,
            reference=f"FAC-{today.year}-{site_index + 1:03d}",
            lines=[
                {
                    "product": p,
                    "quantity": Decimal(12),
                    "unit_cost": (p.market_price * Decimal("0.7")).quantize(Decimal("0.01")),
                    "best_before": today + datetime.timedelta(days=700),
                }
                for p in bought
            ],
        )
        services.purchase_receive(purchase=purchase, location=locations[Location.Kind.RESERVE], actor=manager)
        # Part of the reserve goes to the shop floor; some breakage; temperature log.
        reserve_lots = list(
            Lot.objects.filter(location=locations[Location.Kind.RESERVE], quantity_on_hand__gte=4).order_by(
                "pk"
            )[:25]
        )
        for lot in reserve_lots:
            half = (lot.quantity_on_hand / 2).quantize(Decimal("1"))
            if half > 0:
                services.transfer_create(
                    lot=lot,
                    to_location=locations[Location.Kind.SHOP_FLOOR],
                    quantity=half,
                    actor=manager,
                    note="Mise en rayon",
                )
        for lot in reserve_lots[:2]:
            lot.refresh_from_db()
            services.waste_record(
                lot=lot, quantity=Decimal(1), reason="damaged", actor=manager, note="Emballage abîmé"
            )
        for days_ago in range(6, -1, -1):
            at = timezone.now() - datetime.timedelta(days=days_ago, hours=2)
            fridge_reading = Decimal("3.5") if days_ago else Decimal(rng.choice(["3.0", "6.5"]))
            services.temperature_record(
                location=locations[Location.Kind.FRIDGE],
                celsius=fridge_reading,
                actor=manager,
                at=at,
                note="" if fridge_reading <= 4 else "Porte restée ouverte",
            )
            services.temperature_record(
                location=locations[Location.Kind.FREEZER], celsius=Decimal("-19.5"), actor=manager, at=at
            )


@transaction.atomic
def seed(ctx) -> None:
    rng = random.Random(42)
    products = _catalogue(rng)
    for site in ctx.sites:
        _locations(site)
    already = Donation.objects.filter(note__startswith="Démo").exists() or TemperatureReading.objects.exists()
    if not already:
        _bring_in_stock(ctx, products, rng)
    ctx.log.append(f"Stock : {Product.objects.count()} produits, {Lot.objects.count()} lots.")

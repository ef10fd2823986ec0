"""Themes and text fragments for demo session titles and abstracts.

Every theme carries the WSIS action lines and SDGs it maps to (in the spirit of the
WSIS-SDG matrix), so tags follow from what a session is about instead of being drawn
at random. Together the themes cover all 11 action lines and all 17 SDGs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    title: str  # capitalised, used at the start of a title or after a colon
    context: str  # one sentence of background for the abstract
    action_lines: tuple[str, ...]
    sdgs: tuple[int, ...]


def decap(phrase: str) -> str:
    """Lower-case a title phrase for use mid-sentence, keeping acronyms (AI, SMEs,
    IoT, ICTs, COVID-19) as they are."""
    first = phrase.split(" ", 1)[0]
    if sum(c.isupper() for c in first) >= 2 or any(c.isdigit() for c in first):
        return phrase
    return phrase[0].lower() + phrase[1:]


# fmt: off
THEMES: tuple[Theme, ...] = (
    Theme("Digital inclusion of older persons",
          "Older people were among the most isolated during lockdowns, and many lack the "
          "skills or devices to reach online services.", ("C3", "C4"), (10, 3)),
    Theme("Broadband for rural connectivity",
          "Almost half of the world's population is still offline, most of them in rural "
          "areas of developing countries.", ("C2",), (9, 1)),
    Theme("Cybersecurity capacity building",
          "Attacks on hospitals and public services rose sharply as activity moved "
          "online during the pandemic.", ("C5", "C4"), (16, 9)),
    Theme("Artificial intelligence for sustainable development",
          "AI promises gains in health, agriculture and public services, but its "
          "benefits remain concentrated in a few countries.", ("C7", "C10"), (9, 8)),
    Theme("E-health in the COVID-19 recovery",
          "Telemedicine and digital contact tracing went from pilots to national scale "
          "within months.", ("C7",), (3,)),
    Theme("E-learning and school connectivity",
          "School closures left hundreds of millions of learners without access to "
          "remote education.", ("C7", "C4"), (4,)),
    Theme("Women and girls in ICT",
          "Women remain under-represented in ICT jobs and are less likely than men to "
          "use mobile internet.", ("C4", "C1"), (5, 4)),
    Theme("Multilingual local content",
          "Most online content exists in a handful of languages, leaving many "
          "communities without relevant information in their own.", ("C8", "C3"), (4, 10)),
    Theme("Media freedom and disinformation",
          "The infodemic that accompanied COVID-19 showed how quickly false information "
          "spreads on digital platforms.", ("C9", "C10"), (16,)),
    Theme("E-agriculture and food security",
          "Smallholder farmers produce a large share of the world's food yet rarely "
          "benefit from digital advisory services.", ("C7",), (2, 15)),
    Theme("E-environment and climate monitoring",
          "Satellite data and connected sensors make it possible to track emissions, "
          "deforestation and extreme weather in near real time.", ("C7",), (13, 15)),
    Theme("Smart sustainable cities",
          "Cities consume most of the world's energy, and digital infrastructure can "
          "make their transport, water and buildings more efficient.", ("C7", "C2"),
          (11, 7)),
    Theme("Digital financial inclusion",
          "Mobile money has brought hundreds of millions of people into the financial "
          "system for the first time.", ("C7", "C6"), (1, 8)),
    Theme("An enabling environment for digital investment",
          "Predictable regulation and spectrum policy decide whether networks reach the "
          "last mile.", ("C6",), (9, 17)),
    Theme("E-government and digital identity",
          "Around a billion people cannot prove who they are, which keeps them out of "
          "public services and social protection.", ("C7", "C1"), (16, 10)),
    Theme("Youth digital skills and employment",
          "Young people entering the labour market need digital skills that many "
          "education systems do not yet teach.", ("C4", "C7"), (8, 4)),
    Theme("Ethics of emerging technologies",
          "Automated decisions increasingly shape access to credit, jobs and public "
          "services.", ("C10",), (16, 10)),
    Theme("International cooperation for digital development",
          "No country can close the digital divide alone: financing, standards and "
          "knowledge all cross borders.", ("C11",), (17,)),
    Theme("IoT for water management",
          "Connected meters and sensors help utilities cut leaks and bring safe water "
          "to more households.", ("C7", "C2"), (6, 11)),
    Theme("E-waste and the circular economy",
          "The world generates more than 50 million tonnes of e-waste a year, and only "
          "a fifth of it is formally recycled.", ("C7", "C6"), (12, 3)),
    Theme("Renewable energy for connectivity",
          "Off-grid base stations and community networks increasingly run on solar "
          "power.", ("C2",), (7, 13)),
    Theme("Ocean data and early warning systems",
          "Coastal communities and small island states depend on timely warnings of "
          "storms and rising seas.", ("C7", "C11"), (14, 13)),
    Theme("Libraries as gateways to information",
          "Public libraries offer free connectivity and digital literacy to people who "
          "have nowhere else to go online.", ("C3",), (4, 16)),
    Theme("Accessible ICT for persons with disabilities",
          "Over a billion people live with a disability, and inaccessible websites and "
          "apps exclude many of them.", ("C3", "C4"), (10, 4)),
    Theme("Child online protection",
          "Children went online younger and for longer during the pandemic, often "
          "without safeguards.", ("C5", "C10"), (16, 4)),
    Theme("Emergency telecommunications",
          "Resilient networks save lives when disasters strike and traditional "
          "infrastructure fails.", ("C2", "C7"), (11, 13)),
    Theme("Data governance and privacy",
          "Health and mobility data proved vital in the crisis, raising hard questions "
          "about consent and protection.", ("C5", "C6"), (16, 9)),
    Theme("SMEs and e-commerce",
          "Small businesses that could sell online were far more likely to survive the "
          "lockdowns.", ("C7", "C6"), (8, 9)),
    Theme("Community networks",
          "Locally owned networks connect villages that commercial operators consider "
          "unprofitable.", ("C2", "C3"), (9, 10)),
    Theme("Open science and e-science",
          "Open data and shared research infrastructure sped up the development of "
          "COVID-19 vaccines.", ("C7", "C3"), (9, 17)),
    Theme("Digitisation of cultural heritage",
          "Museums, archives and living cultures are turning to digital tools to "
          "preserve and share heritage.", ("C8",), (11, 4)),
    Theme("The gender digital divide",
          "The gap between men's and women's internet use is widest in the least "
          "developed countries.", ("C4", "C1"), (5, 10)),
    Theme("Measuring the information society",
          "Sound statistics on access and use are the basis of every digital "
          "development policy.", ("C11", "C1"), (17,)),
    Theme("Digital transformation of public services",
          "Governments that had invested in digital services kept them running when "
          "offices closed.", ("C1", "C7"), (16, 11)),
    Theme("Satellite connectivity for remote areas",
          "New satellite constellations could bring broadband to places fibre will "
          "never reach.", ("C2",), (9, 1)),
    Theme("Misinformation in the infodemic",
          "Health authorities competed with rumours for attention throughout the "
          "pandemic.", ("C9", "C10"), (3, 16)),
    Theme("Decent work in the platform economy",
          "Millions now earn their living through online platforms, often without "
          "social protection.", ("C7", "C10"), (8, 10)),
    Theme("Digital tools for refugees and migrants",
          "For displaced people a phone is often the only link to family, information "
          "and aid.", ("C3", "C7"), (10, 16)),
    Theme("ICTs for biodiversity and land management",
          "Drones, remote sensing and citizen science help protect forests and "
          "ecosystems.", ("C7",), (15, 13)),
    Theme("Local news and community media",
          "Community radio and local news sites remain the most trusted sources for "
          "many audiences.", ("C9", "C8"), (16, 11)),
    Theme("Affordable devices and data",
          "The price of a smartphone is still more than a month's income in many "
          "countries.", ("C2", "C6"), (1, 10)),
    Theme("Regional cooperation on digital trade",
          "Cross-border data flows and e-payments decide whether small firms can reach "
          "regional markets.", ("C11", "C6"), (17, 8)),
)


@dataclass(frozen=True)
class FacilitationLine:
    code: str  # the action line (C1..C11)
    label: str  # C7 is facilitated per application area (e-health, e-learning, ...)


FACILITATION_LINES: tuple[FacilitationLine, ...] = (
    FacilitationLine("C1", "Role of governments and all stakeholders"),
    FacilitationLine("C2", "Information and communication infrastructure"),
    FacilitationLine("C3", "Access to information and knowledge"),
    FacilitationLine("C4", "Capacity building"),
    FacilitationLine("C5", "Building confidence and security in the use of ICTs"),
    FacilitationLine("C6", "Enabling environment"),
    FacilitationLine("C7", "E-government"),
    FacilitationLine("C7", "E-business"),
    FacilitationLine("C7", "E-learning"),
    FacilitationLine("C7", "E-health"),
    FacilitationLine("C7", "E-employment"),
    FacilitationLine("C7", "E-environment"),
    FacilitationLine("C7", "E-agriculture"),
    FacilitationLine("C7", "E-science"),
    FacilitationLine("C8", "Cultural and linguistic diversity and local content"),
    FacilitationLine("C9", "Media"),
    FacilitationLine("C10", "Ethical dimensions of the information society"),
    FacilitationLine("C11", "International and regional cooperation"),
)


@dataclass(frozen=True)
class TrainingTopic:
    title: str
    action_lines: tuple[str, ...]
    sdgs: tuple[int, ...]


TRAINING_TOPICS: tuple[TrainingTopic, ...] = (
    TrainingTopic("Cybersecurity incident response basics", ("C5",), (16, 9)),
    TrainingTopic("Open data for policymakers", ("C3", "C1"), (16, 17)),
    TrainingTopic("Designing accessible websites with WCAG 2.1", ("C3", "C4"), (10,)),
    TrainingTopic("Digital skills for teachers", ("C4", "C7"), (4,)),
    TrainingTopic("Using the WSIS Stocktaking Platform", ("C11",), (17,)),
    TrainingTopic("Spectrum management fundamentals", ("C2", "C6"), (9,)),
    TrainingTopic("Working with ICT indicators and household surveys", ("C11", "C1"), (17,)),
    TrainingTopic("Drafting a national AI strategy", ("C1", "C10"), (9, 16)),
    TrainingTopic("Child online protection for educators", ("C5", "C4"), (4, 16)),
    TrainingTopic("E-waste management for municipalities", ("C7",), (12, 11)),
    TrainingTopic("Regulating mobile money", ("C6", "C7"), (1, 8)),
    TrainingTopic("Designing digital identity systems", ("C7", "C5"), (16,)),
    TrainingTopic("Broadband mapping with open tools", ("C2",), (9,)),
    TrainingTopic("Writing data protection legislation", ("C6", "C5"), (16,)),
    TrainingTopic("Deploying a community network", ("C2", "C4"), (9, 10)),
    TrainingTopic("Remote sensing for agriculture", ("C7",), (2, 15)),
    TrainingTopic("Designing online courses", ("C7", "C4"), (4,)),
    TrainingTopic("Verification and fact-checking for journalists", ("C9",), (16,)),
    TrainingTopic("Emergency telecommunications planning", ("C2", "C7"), (11, 13)),
    TrainingTopic("Cloud adoption in public administration", ("C1", "C7"), (16,)),
    TrainingTopic("Digital marketing for women entrepreneurs", ("C4", "C7"), (5, 8)),
    TrainingTopic("Early warning systems for coastal communities", ("C7",), (14, 13)),
    TrainingTopic("Smart water metering", ("C7",), (6,)),
    TrainingTopic("Solar power for off-grid connectivity", ("C2",), (7,)),
)
TRAINING_FORMATS: tuple[str, ...] = (
    "introductory course",
    "advanced course",
    "hands-on clinic",
    "train-the-trainers session",
    "self-paced lab",
)

# Special sessions of the reference forum were grouped into special tracks.
SPECIAL_TRACKS: tuple[str, ...] = (
    "ICTs and Older Persons",
    "Youth",
    "Gender Trendsetters",
    "Indigenous Peoples",
    "Persons with Disabilities",
    "Digital Health",
    "WSIS Stocktaking",
    "Digital Cooperation",
)

# Each template reads well whatever the theme, which is why the theme mostly comes
# first or after a colon.
THEMATIC_TEMPLATES: tuple[str, ...] = (
    "{T}: lessons from the pandemic",
    "{T} and the 2030 Agenda",
    "Building back better: {t}",
    "From policy to practice: {t}",
    "{T} in {region}",
    "Multistakeholder partnerships: {t}",
    "{T}: what works, and for whom?",
    "Accelerating the SDGs: {t}",
    "Measuring impact: {t}",
    "{T}: the next ten years",
    "Scaling up what works: {t}",
    "Closing the gaps: {t}",
)

# Focus of each block of high-level policy statements, with its tags.
POLICY_STATEMENT_FOCUS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("Inclusive, resilient and sustainable societies", ("C1", "C11"), (10, 17)),
    ("ICTs in the COVID-19 response and recovery", ("C7", "C1"), (3, 8)),
    ("Connecting the unconnected", ("C2", "C3"), (9, 1)),
    ("Trust and security online", ("C5",), (16,)),
    ("Digital skills for all", ("C4",), (4, 8)),
    ("Digital economy and decent work", ("C7", "C6"), (8, 9)),
    ("Bridging the gender digital divide", ("C4", "C1"), (5,)),
    ("Innovation for the SDGs", ("C7", "C11"), (9, 17)),
    ("Enabling environment and investment", ("C6",), (9, 17)),
    ("International cooperation and the WSIS process", ("C11",), (17,)),
    ("Local content and cultural diversity", ("C8", "C9"), (4, 11)),
    ("Data for development", ("C3", "C10"), (16, 17)),
)

MINISTERIAL_ROUNDTABLES: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("Ministerial Roundtable: Accelerating digital transformation for the COVID-19 "
     "recovery", ("C1", "C11"), (17, 8, 9)),
    ("Ministerial Roundtable: Connecting the unconnected by 2030", ("C2", "C6"), (9, 10, 1)),
)

PRIZE_CEREMONIES: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("WSIS Prizes Ceremony: Announcement of the Winners", ("C11", "C7"), (17,)),
    ("WSIS Prizes Champions Celebration", ("C11", "C4"), (17, 5)),
)

HACKATHON: tuple[str, tuple[str, ...], tuple[int, ...]] = (
    "WSIS Hackathon: ICTs and Older Persons", ("C3", "C4", "C7"), (3, 10),
)

EXHIBITIONS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("Virtual Exhibition: ICTs and Older Persons", ("C3", "C7"), (3, 10)),
    ("Virtual Exhibition: WSIS Prizes Projects Showcase", ("C11",), (17,)),
    ("Virtual Exhibition: Digital Health Innovations", ("C7",), (3,)),
    ("Virtual Exhibition: Smart Cities and Communities", ("C7", "C2"), (11, 7)),
    ("Virtual Exhibition: Youth and Start-up Innovation", ("C4", "C7"), (8, 9)),
)

# Opening sentence of an abstract, by session type.
ABSTRACT_OPENINGS: dict[str, str] = {
    "policy_statements": "Ministers and heads of delegation deliver short policy "
    "statements on {t}.",
    "high_level_dialogue": "This high-level policy dialogue brings leaders from "
    "government, industry and civil society together to discuss {t}.",
    "prize_ceremony": "The ceremony celebrates the winners and champions of the WSIS "
    "Prizes, chosen by public vote among projects from every region.",
    "ministerial_roundtable": "Ministers exchange views on national strategies and the "
    "cooperation needed to deliver on {t}.",
    "action_line_facilitation": "The annual facilitation meeting of Action Line "
    "{action_line} reviews implementation and focuses this year on {t}.",
    "country_workshop": "{country} presents its national experience with {t}.",
    "thematic_workshop": "This workshop brings together practitioners and experts to "
    "discuss {t}.",
    "training_session": "This hands-on training introduces participants to {t}.",
    "special_session": "A session of the {special} special track devoted to {t}.",
    "knowledge_cafe": "An informal knowledge café where participants work in small "
    "groups on {t}.",
    "hackathon": "Teams of developers, designers and older persons build prototypes "
    "over 48 hours, with mentors online around the clock.",
    "exhibition": "An online exhibition open around the clock, with project booths, "
    "videos and live demonstrations.",
}

ABSTRACT_EXTRAS: tuple[str, ...] = (
    "Speakers will share good practices and lessons learned during the pandemic.",
    "The session links WSIS Action Line {action_line} to SDG {sdg} ({sdg_title}).",
    "Participants are invited to put their questions to the panel through the live Q&A.",
    "Its conclusions will feed into the WSIS Forum outcome document.",
    "A short poll at the end will gather participants' priorities for the coming year.",
    "Case studies from {region} illustrate what has worked and what has not.",
    "The discussion pays particular attention to women, youth and marginalised groups.",
    "Panellists will propose concrete, measurable commitments.",
)
# fmt: on

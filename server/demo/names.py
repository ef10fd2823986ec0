"""Name, country and organisation data for the demo programme.

Plain tuples and dicts only (never sets): the generator iterates over this data and
set order would depend on PYTHONHASHSEED, breaking determinism across processes.
People and organisations built from these parts are fictitious; the UN agencies are
real because the reference forum is co-organised by them.
"""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
# ISO 3166-1 alpha-2 code -> (short English name, a major city).
COUNTRIES: dict[str, tuple[str, str]] = {
    "AE": ("United Arab Emirates", "Abu Dhabi"),
    "AR": ("Argentina", "Buenos Aires"),
    "AT": ("Austria", "Vienna"),
    "AU": ("Australia", "Melbourne"),
    "AZ": ("Azerbaijan", "Baku"),
    "BB": ("Barbados", "Bridgetown"),
    "BD": ("Bangladesh", "Dhaka"),
    "BE": ("Belgium", "Brussels"),
    "BF": ("Burkina Faso", "Ouagadougou"),
    "BG": ("Bulgaria", "Sofia"),
    "BH": ("Bahrain", "Manama"),
    "BJ": ("Benin", "Cotonou"),
    "BN": ("Brunei Darussalam", "Bandar Seri Begawan"),
    "BO": ("Bolivia", "La Paz"),
    "BR": ("Brazil", "São Paulo"),
    "BT": ("Bhutan", "Thimphu"),
    "BW": ("Botswana", "Gaborone"),
    "BY": ("Belarus", "Minsk"),
    "CA": ("Canada", "Toronto"),
    "CH": ("Switzerland", "Geneva"),
    "CI": ("Côte d'Ivoire", "Abidjan"),
    "CL": ("Chile", "Santiago"),
    "CM": ("Cameroon", "Yaoundé"),
    "CN": ("China", "Beijing"),
    "CO": ("Colombia", "Bogotá"),
    "CR": ("Costa Rica", "San José"),
    "CZ": ("Czech Republic", "Prague"),
    "DE": ("Germany", "Berlin"),
    "DK": ("Denmark", "Copenhagen"),
    "DO": ("Dominican Republic", "Santo Domingo"),
    "DZ": ("Algeria", "Algiers"),
    "EC": ("Ecuador", "Quito"),
    "EE": ("Estonia", "Tallinn"),
    "EG": ("Egypt", "Cairo"),
    "ES": ("Spain", "Madrid"),
    "ET": ("Ethiopia", "Addis Ababa"),
    "FI": ("Finland", "Helsinki"),
    "FJ": ("Fiji", "Suva"),
    "FR": ("France", "Lyon"),
    "GB": ("United Kingdom", "Manchester"),
    "GH": ("Ghana", "Accra"),
    "GM": ("Gambia", "Banjul"),
    "GR": ("Greece", "Athens"),
    "HR": ("Croatia", "Zagreb"),
    "HU": ("Hungary", "Budapest"),
    "ID": ("Indonesia", "Jakarta"),
    "IE": ("Ireland", "Dublin"),
    "IN": ("India", "Bengaluru"),
    "IR": ("Iran", "Tehran"),
    "IT": ("Italy", "Milan"),
    "JM": ("Jamaica", "Kingston"),
    "JO": ("Jordan", "Amman"),
    "JP": ("Japan", "Tokyo"),
    "KE": ("Kenya", "Nairobi"),
    "KR": ("Republic of Korea", "Seoul"),
    "KW": ("Kuwait", "Kuwait City"),
    "KZ": ("Kazakhstan", "Almaty"),
    "LB": ("Lebanon", "Beirut"),
    "LK": ("Sri Lanka", "Colombo"),
    "LR": ("Liberia", "Monrovia"),
    "LU": ("Luxembourg", "Luxembourg"),
    "MA": ("Morocco", "Rabat"),
    "ML": ("Mali", "Bamako"),
    "MN": ("Mongolia", "Ulaanbaatar"),
    "MT": ("Malta", "Valletta"),
    "MW": ("Malawi", "Lilongwe"),
    "MX": ("Mexico", "Mexico City"),
    "MY": ("Malaysia", "Kuala Lumpur"),
    "MZ": ("Mozambique", "Maputo"),
    "NA": ("Namibia", "Windhoek"),
    "NE": ("Niger", "Niamey"),
    "NG": ("Nigeria", "Lagos"),
    "NL": ("Netherlands", "Amsterdam"),
    "NO": ("Norway", "Oslo"),
    "NP": ("Nepal", "Kathmandu"),
    "NZ": ("New Zealand", "Wellington"),
    "OM": ("Oman", "Muscat"),
    "PE": ("Peru", "Lima"),
    "PH": ("Philippines", "Manila"),
    "PK": ("Pakistan", "Lahore"),
    "PL": ("Poland", "Warsaw"),
    "PT": ("Portugal", "Lisbon"),
    "PY": ("Paraguay", "Asunción"),
    "QA": ("Qatar", "Doha"),
    "RO": ("Romania", "Bucharest"),
    "RS": ("Serbia", "Belgrade"),
    "RU": ("Russian Federation", "Moscow"),
    "RW": ("Rwanda", "Kigali"),
    "SA": ("Saudi Arabia", "Riyadh"),
    "SE": ("Sweden", "Stockholm"),
    "SG": ("Singapore", "Singapore"),
    "SN": ("Senegal", "Dakar"),
    "TG": ("Togo", "Lomé"),
    "TH": ("Thailand", "Bangkok"),
    "TN": ("Tunisia", "Tunis"),
    "TR": ("Türkiye", "Ankara"),
    "TT": ("Trinidad and Tobago", "Port of Spain"),
    "TZ": ("United Republic of Tanzania", "Dar es Salaam"),
    "UA": ("Ukraine", "Kyiv"),
    "UG": ("Uganda", "Kampala"),
    "US": ("United States", "Boston"),
    "UY": ("Uruguay", "Montevideo"),
    "UZ": ("Uzbekistan", "Tashkent"),
    "VN": ("Viet Nam", "Hanoi"),
    "ZA": ("South Africa", "Johannesburg"),
    "ZM": ("Zambia", "Lusaka"),
    "ZW": ("Zimbabwe", "Harare"),
}

# Country names that read "the ..." inside a sentence ("Permanent Mission of the ...").
_WITH_ARTICLE: tuple[str, ...] = (
    "AE", "CZ", "DO", "GB", "GM", "KR", "NL", "PH", "RU", "TZ", "US",
)  # fmt: skip

# Second UN language a country workshop adds to English, where the host speaks one.
COUNTRY_UN_LANGUAGE: dict[str, str] = {
    **dict.fromkeys(
        ("FR", "BE", "CH", "LU", "SN", "CI", "ML", "BF", "BJ", "TG", "NE", "CM", "RW"), "fr"
    ),
    **dict.fromkeys(
        ("ES", "MX", "AR", "CO", "CL", "PE", "EC", "UY", "CR", "PY", "BO", "DO"), "es"
    ),
    **dict.fromkeys(
        ("SA", "AE", "EG", "JO", "LB", "MA", "TN", "DZ", "QA", "OM", "KW", "BH"), "ar"
    ),
    "CN": "zh",
    **dict.fromkeys(("RU", "BY", "KZ"), "ru"),
}


def country_name(code: str) -> str:
    return COUNTRIES[code][0]


def country_in_sentence(code: str) -> str:
    name = COUNTRIES[code][0]
    return f"the {name}" if code in _WITH_ARTICLE else name


def country_city(code: str) -> str:
    return COUNTRIES[code][1]


# A family name is either invariant or a (masculine, feminine) pair, for languages
# where the surname agrees with the bearer (Ivanov/Ivanova, Kowalski/Kowalska).
FamilyName = str | tuple[str, str]


@dataclass(frozen=True)
class Region:
    key: str
    weight: int  # relative share of speakers drawn from this region
    countries: tuple[str, ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    families: tuple[FamilyName, ...]
    family_first: bool = False  # "Wang Li", "Kim Min-jun", "Nguyen Thi Mai"


REGIONS: tuple[Region, ...] = (
    Region(
        "anglophone", 10,
        ("GB", "IE", "US", "CA", "AU", "NZ", "JM", "TT", "BB"),
        ("Emily", "Sarah", "Jessica", "Rachel", "Laura", "Hannah", "Olivia", "Megan",
         "Catherine", "Rebecca", "Claire", "Fiona", "Siobhan", "Grace", "Charlotte",
         "Naomi", "Abigail", "Tanisha"),
        ("James", "Michael", "David", "Robert", "Thomas", "Daniel", "Andrew", "Patrick",
         "Matthew", "Christopher", "Liam", "Sean", "Benjamin", "William", "Jonathan",
         "Marcus", "Desmond"),
        ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Murphy", "O'Brien", "Walker",
         "Thompson", "Campbell", "Kelly", "Anderson", "Clarke", "Mitchell", "Robertson",
         "Hughes", "Bennett", "Fraser", "Gallagher", "Reid", "Williams", "Henry"),
    ),
    Region(
        "francophone", 7,
        ("FR", "BE", "CH", "LU"),
        ("Camille", "Claire", "Sophie", "Isabelle", "Nathalie", "Juliette", "Élodie",
         "Margaux", "Céline", "Aurélie", "Hélène", "Manon", "Amélie", "Valérie"),
        ("Jean", "Pierre", "Nicolas", "François", "Julien", "Antoine", "Laurent",
         "Mathieu", "Olivier", "Thibault", "Étienne", "Guillaume", "Yves", "Sébastien"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fontaine",
         "Rousseau", "Mercier", "Chevalier", "Perrin", "Lambert", "Fournier", "Morel",
         "Gauthier", "Roux", "Favre", "Bonvin"),
    ),
    Region(
        "germanic_nordic", 7,
        ("DE", "AT", "CH", "NL", "SE", "NO", "DK", "FI", "EE"),
        ("Anna", "Katharina", "Julia", "Lena", "Sabine", "Ingrid", "Astrid", "Sanne",
         "Freya", "Liesbeth", "Maja", "Johanna", "Kaisa", "Birgit"),
        ("Lukas", "Stefan", "Matthias", "Jan", "Lars", "Erik", "Henrik", "Jonas",
         "Tobias", "Pieter", "Andreas", "Mikael", "Jukka", "Sven"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann",
         "de Vries", "Jansen", "van Dijk", "Andersson", "Johansson", "Nilsson", "Hansen",
         "Larsen", "Virtanen", "Korhonen", "Berg", "Tamm", "Huber"),
    ),
    Region(
        "southern_europe", 6,
        ("IT", "ES", "PT", "GR", "MT"),
        ("Giulia", "Francesca", "Chiara", "Elena", "María", "Lucía", "Carmen", "Inês",
         "Beatriz", "Sofia", "Eleni", "Alessandra", "Marta", "Katerina"),
        ("Marco", "Luca", "Giovanni", "Alessandro", "Javier", "Carlos", "Pablo", "João",
         "Miguel", "Nikos", "Giorgos", "Paolo", "Rui", "Sergio"),
        ("Rossi", "Bianchi", "Romano", "Esposito", "Ricci", "García", "Fernández",
         "López", "Martínez", "Sánchez", "Silva", "Santos", "Ferreira", "Papadopoulos",
         "Georgiou", "Costa", "Conti", "Moreno", "Borg", "Camilleri"),
    ),
    Region(
        "latin_america", 10,
        ("MX", "BR", "AR", "CO", "CL", "PE", "EC", "UY", "CR", "PY", "BO", "DO"),
        ("Ana", "Gabriela", "Valentina", "Camila", "Daniela", "Fernanda", "Luciana",
         "Mariana", "Paula", "Carolina", "Ximena", "Adriana", "Juliana", "Renata"),
        ("José", "Luis", "Juan", "Diego", "Alejandro", "Andrés", "Felipe", "Ricardo",
         "Gustavo", "Rodrigo", "Mateo", "Eduardo", "Thiago", "Sebastián"),
        ("González", "Rodríguez", "Pérez", "Gómez", "Díaz", "Herrera", "Ramírez",
         "Torres", "Vargas", "Castro", "Oliveira", "Souza", "Pereira", "Rojas",
         "Mendoza", "Álvarez", "Ortiz", "Navarro", "Quispe", "Cardoso"),
    ),
    Region(
        "arab", 10,
        ("SA", "AE", "EG", "JO", "LB", "MA", "TN", "DZ", "QA", "OM", "KW", "BH"),
        ("Fatima", "Aisha", "Mariam", "Layla", "Noura", "Huda", "Salma", "Rania",
         "Yasmin", "Amira", "Leila", "Hanan", "Dina", "Reem"),
        ("Mohammed", "Ahmed", "Omar", "Khalid", "Youssef", "Hassan", "Ali", "Tarek",
         "Karim", "Mahmoud", "Samir", "Faisal", "Nabil", "Walid"),
        ("Al-Mansouri", "Haddad", "El-Sayed", "Benali", "Khoury", "Nasser", "Al-Harbi",
         "Saleh", "Abdallah", "Mansour", "Bensalem", "Al-Rashid", "Farouk", "Hamdan",
         "Ibrahim", "Aziz", "Othman", "Chaabane", "Al-Kuwari", "Tazi"),
    ),
    Region(
        "west_africa", 10,
        ("NG", "GH", "SN", "CI", "ML", "BF", "CM", "BJ", "TG", "NE", "GM", "LR"),
        ("Aminata", "Fatou", "Ngozi", "Chiamaka", "Adaeze", "Abena", "Akosua", "Mariama",
         "Awa", "Folake", "Yetunde", "Efua", "Aïssatou", "Nafissatou"),
        ("Oluwaseun", "Chukwuemeka", "Kwame", "Kofi", "Mamadou", "Ibrahima", "Moussa",
         "Abdoulaye", "Emeka", "Babajide", "Kwabena", "Ousmane", "Seydou", "Koffi"),
        ("Okafor", "Adeyemi", "Mensah", "Diallo", "Ndiaye", "Traoré", "Ouédraogo",
         "Boateng", "Owusu", "Eze", "Sow", "Coulibaly", "Keita", "Adebayo", "Asante",
         "Nwosu", "Diop", "Bamba", "Agbodjan", "Fofana"),
    ),
    Region(
        "east_southern_africa", 9,
        ("KE", "TZ", "UG", "RW", "ET", "ZA", "ZM", "ZW", "MW", "BW", "NA", "MZ"),
        ("Wanjiru", "Achieng", "Amani", "Neema", "Zawadi", "Thandiwe", "Nomvula", "Chipo",
         "Lindiwe", "Aster", "Mekdes", "Nyasha", "Kagiso", "Imani"),
        ("Baraka", "Juma", "Otieno", "Kamau", "Sipho", "Thabo", "Themba", "Bongani",
         "Tesfaye", "Dawit", "Emmanuel", "Jabari", "Musa", "Tinashe"),
        ("Mwangi", "Odhiambo", "Njoroge", "Mutua", "Nkosi", "Dlamini", "Ndlovu", "Moyo",
         "Banda", "Phiri", "Bekele", "Mugisha", "Uwimana", "Kiprono", "Nyambura",
         "Chanda", "Mabaso", "Haile", "Okello", "Mushi"),
    ),
    Region(
        "south_asia", 10,
        ("IN", "PK", "BD", "LK", "NP", "BT"),
        ("Priya", "Ananya", "Kavita", "Sunita", "Deepika", "Ayesha", "Nusrat", "Shreya",
         "Lakshmi", "Anjali", "Meera", "Sana", "Tahmina", "Dilini"),
        ("Rajesh", "Arjun", "Vikram", "Rahul", "Sanjay", "Amit", "Imran", "Bilal",
         "Farhan", "Rohan", "Suresh", "Anil", "Kamal", "Nimal"),
        ("Sharma", "Patel", "Singh", "Gupta", "Kumar", "Reddy", "Iyer", "Khan", "Hussain",
         "Rahman", "Chowdhury", "Perera", "Fernando", "Shrestha", "Thapa", "Nair",
         "Mehta", "Bose", "Malik", "Dorji"),
    ),
    Region(
        "chinese", 5,
        ("CN", "SG"),
        ("Mei", "Xiaoling", "Yan", "Jing", "Hui", "Fang", "Xin", "Lan", "Ying", "Yuqing"),
        ("Wei", "Jun", "Hao", "Lei", "Ming", "Tao", "Jian", "Qiang", "Yong", "Bo"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
         "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "Lin", "Tan"),
        family_first=True,
    ),
    Region(
        "japanese", 2,
        ("JP",),
        ("Yuki", "Haruka", "Aiko", "Keiko", "Naoko", "Sakura", "Emi", "Yoko", "Mai",
         "Akiko"),
        ("Hiroshi", "Takeshi", "Kenji", "Daisuke", "Satoshi", "Yuto", "Kazuo", "Takumi",
         "Shinji", "Ryo"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
         "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada"),
    ),
    Region(
        "korean_mongolian", 2,
        ("KR", "MN"),
        ("Ji-woo", "Seo-yeon", "Min-ji", "Soo-jin", "Hye-jin", "Eun-ji", "Ha-eun",
         "Yeon-hee"),
        ("Min-jun", "Ji-hoon", "Seung-woo", "Dong-hyun", "Jae-won", "Sung-min",
         "Hyun-woo", "Tae-yang"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"),
        family_first=True,
    ),
    Region(
        "vietnamese", 1,
        ("VN",),
        ("Thi Mai", "Thi Lan", "Thu Huong", "Ngoc Anh", "Thu Trang", "Khanh Linh"),
        ("Van Minh", "Duc Anh", "Quang Huy", "Minh Tuan", "Hoang Nam", "Thanh Long"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"),
        family_first=True,
    ),
    Region(
        "thai", 1,
        ("TH",),
        ("Siriporn", "Kanya", "Nattaya", "Pimchanok", "Wipada", "Supaporn"),
        ("Somchai", "Anan", "Niran", "Chaiwat", "Prasert", "Thanakorn"),
        ("Srisuk", "Chaiyaporn", "Wongsawat", "Rattanakorn", "Phromma", "Suwannarat"),
    ),
    Region(
        "malay_indonesian", 3,
        ("ID", "MY", "BN"),
        ("Siti", "Dewi", "Nurul", "Putri", "Ayu", "Intan", "Farah", "Aisyah", "Ratna"),
        ("Budi", "Agus", "Ahmad", "Rizal", "Hafiz", "Arif", "Bayu", "Irfan", "Hendra"),
        ("Santoso", "Wijaya", "Hidayat", "Rahman", "Abdullah", "Ismail", "Kusuma",
         "Setiawan", "Hassan", "Yusof", "Pratama", "Harahap"),
    ),
    Region(
        "filipino", 2,
        ("PH",),
        ("Maria", "Kristine", "Rosario", "Angelica", "Joy", "Patricia", "Liza"),
        ("Jose Miguel", "Mark", "Joseph", "Ramon", "Paolo", "Renato", "Christian"),
        ("Reyes", "Santos", "Cruz", "Dela Cruz", "Bautista", "Garcia", "Villanueva",
         "Ramos", "Aquino", "Mercado"),
    ),
    Region(
        "east_slavic_central_asian", 4,
        ("RU", "BY", "UA", "KZ", "UZ"),
        ("Elena", "Olga", "Natalia", "Irina", "Tatiana", "Svetlana", "Ekaterina",
         "Yulia", "Oksana", "Aigerim", "Dilnoza", "Anastasia"),
        ("Alexander", "Dmitry", "Sergey", "Andrei", "Ivan", "Mikhail", "Nikolai",
         "Alexei", "Pavel", "Oleksandr", "Nurlan", "Rustam"),
        (("Ivanov", "Ivanova"), ("Smirnov", "Smirnova"), ("Volkov", "Volkova"),
         ("Sokolov", "Sokolova"), ("Popov", "Popova"), ("Morozov", "Morozova"),
         ("Novikov", "Novikova"), ("Kuznetsov", "Kuznetsova"), ("Lebedev", "Lebedeva"),
         ("Nurlanov", "Nurlanova"), ("Karimov", "Karimova"), "Shevchenko", "Kovalenko",
         "Bondarenko", "Tkachenko"),
    ),
    Region(
        "central_eastern_europe", 4,
        ("PL", "CZ", "HR", "RS", "BG", "RO", "HU"),
        ("Agnieszka", "Katarzyna", "Petra", "Ivana", "Zsófia", "Ioana", "Milena",
         "Jelena", "Lucie", "Magdalena", "Diana"),
        ("Piotr", "Tomasz", "Marek", "Jakub", "Tomáš", "Luka", "Milan", "Bogdan",
         "Péter", "Stefan", "Mihai"),
        (("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Novák", "Nováková"),
         ("Dvořák", "Dvořáková"), ("Dimitrov", "Dimitrova"), ("Georgiev", "Georgieva"),
         "Nowak", "Horvat", "Kovač", "Petrović", "Jovanović", "Popescu", "Ionescu",
         "Nagy", "Tóth"),
    ),
    Region(
        "turkish_azerbaijani", 2,
        ("TR", "AZ"),
        ("Zeynep", "Elif", "Ayşe", "Leyla", "Merve", "Gülnar", "Ece"),
        ("Mehmet", "Emre", "Murat", "Serkan", "Kerem", "Elvin", "Burak"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Aydın", "Öztürk", "Arslan",
         ("Aliyev", "Aliyeva"), ("Mammadov", "Mammadova")),
    ),
    Region(
        "persian", 2,
        ("IR",),
        ("Maryam", "Shirin", "Parisa", "Nasrin", "Roya", "Azadeh", "Sara"),
        ("Reza", "Amir", "Dariush", "Farid", "Babak", "Kaveh", "Hamid"),
        ("Hosseini", "Karimi", "Rahimi", "Tehrani", "Ahmadi", "Moradi", "Jafari",
         "Rezaei", "Sadeghi", "Mohammadi"),
    ),
    Region(
        "pacific", 1,
        ("FJ", "NZ", "AU"),
        ("Losana", "Mere", "Ana", "Litia", "Aroha", "Salote"),
        ("Jone", "Sitiveni", "Tevita", "Rawiri", "Manasa", "Epeli"),
        ("Naidu", "Tuilagi", "Ratu", "Ngata", "Waqa", "Taufa", "Koroi", "Parata"),
    ),
)


# --- organisations and roles, by stakeholder group ---------------------------------

GOVERNMENT_ORGS: tuple[str, ...] = (
    "Ministry of Communications and Information Technology, {country}",
    "Ministry of Digital Economy, {country}",
    "Ministry of ICT and Innovation, {country}",
    "Ministry of Education, {country}",
    "Ministry of Health, {country}",
    "Ministry of Foreign Affairs, {country}",
    "National Telecommunications Regulatory Authority, {country}",
    "National Cybersecurity Agency, {country}",
    "National Statistics Office, {country}",
    "Government Digital Service, {country}",
    "Permanent Mission of {country_in_sentence} to the United Nations Office at Geneva",
)
GOVERNMENT_ROLES: tuple[str, ...] = (
    "Minister", "Deputy Minister", "Permanent Secretary", "Ambassador",
    "Director of Digital Policy", "Head of International Relations", "Senior Adviser",
    "Chief Information Officer", "Director-General", "Counsellor", "Policy Officer",
)  # fmt: skip

COMPANY_PREFIXES: tuple[str, ...] = (
    "Meridian", "Baobab", "Andes", "Nordlys", "Pacifica", "Sahel", "Atlas", "Lotus",
    "Cedar", "Zenith", "Kilima", "Aurora", "Coral", "Mekong", "Savanna", "Altiplano",
    "Harbour", "Silk Road", "Nile", "Fjord", "Monsoon", "Orion", "Tessera", "Quantum",
)  # fmt: skip
COMPANY_SUFFIXES: tuple[str, ...] = (
    "Telecom", "Networks", "Digital", "Cloud Services", "Mobile", "Data Systems",
    "Fintech", "Satellite Communications", "AI Labs", "Software", "Health Tech",
    "EdTech", "Broadband", "Analytics", "Connect",
)  # fmt: skip
PRIVATE_ROLES: tuple[str, ...] = (
    "Chief Executive Officer", "Chief Technology Officer", "Head of Public Policy",
    "Vice-President for Government Affairs", "Senior Engineer", "Founder",
    "Head of Sustainability", "Regulatory Affairs Manager", "Product Director",
)  # fmt: skip

ACADEMIC_ORGS: tuple[str, ...] = (
    "University of {city}",
    "{city} Institute of Technology",
    "National University of {country}",
    "Centre for Digital Policy, University of {city}",
    "{country} Research and Education Network",
    "School of Public Policy, {city}",
    "Internet Society {country} Chapter",
)
ACADEMIC_ROLES: tuple[str, ...] = (
    "Professor of Computer Science", "Associate Professor of Law", "Research Fellow",
    "Lecturer in Development Studies", "Director of the Digital Policy Lab",
    "Doctoral Researcher", "Senior Researcher", "Network Engineer",
)  # fmt: skip

# The co-organisers (ITU, UNESCO, UNCTAD, UNDP) appear more than once so they are
# over-represented, as they are on the real programme.
INTERNATIONAL_ORGS: tuple[str, ...] = (
    "International Telecommunication Union (ITU)",
    "International Telecommunication Union (ITU)",
    "International Telecommunication Union (ITU)",
    "UNESCO",
    "UNESCO",
    "UNCTAD",
    "UNCTAD",
    "United Nations Development Programme (UNDP)",
    "United Nations Development Programme (UNDP)",
    "Food and Agriculture Organization (FAO)",
    "International Labour Organization (ILO)",
    "International Trade Centre (ITC)",
    "UN Department of Economic and Social Affairs (UN DESA)",
    "UNHCR",
    "UNICEF",
    "UNIDO",
    "UNITAR",
    "UNODC",
    "Universal Postal Union (UPU)",
    "UN Women",
    "World Food Programme (WFP)",
    "World Health Organization (WHO)",
    "World Intellectual Property Organization (WIPO)",
    "World Meteorological Organization (WMO)",
    "UN Economic Commission for Africa (ECA)",
    "UN Economic and Social Commission for Asia and the Pacific (ESCAP)",
    "UN Economic Commission for Latin America and the Caribbean (ECLAC)",
    "UN Economic and Social Commission for Western Asia (ESCWA)",
    "UN Economic Commission for Europe (UNECE)",
    "World Bank",
)
INTERNATIONAL_ROLES: tuple[str, ...] = (
    "Programme Officer", "Director", "Chief of Section", "Senior Economist",
    "Regional Director", "Deputy Secretary-General", "Project Manager",
    "Policy Analyst", "Head of Digital Transformation",
)  # fmt: skip

CIVIL_SOCIETY_ORGS: tuple[str, ...] = (
    "{country} Digital Rights Coalition",
    "Women in ICT {country}",
    "{city} Community Networks Association",
    "Foundation for Digital Inclusion of Older Persons",
    "Youth for Digital Development {country}",
    "Open Knowledge {city}",
    "Association for Accessible Technology, {country}",
    "Rural Connectivity Alliance",
    "Media Freedom Network {country}",
    "Children's Online Safety Initiative",
)
CIVIL_SOCIETY_ROLES: tuple[str, ...] = (
    "Executive Director", "Programme Manager", "Advocacy Lead", "Co-founder",
    "Policy Coordinator", "Community Organiser", "Board Member",
)  # fmt: skip

OTHER_ORGS: tuple[str, ...] = (
    "United Nations Office at Geneva",
    "United Nations Secretariat",
    "WSIS Youth Campaigners Network",
    "{city} Daily News",
    "Global Digital Cooperation Fellowship",
    "{city} Chamber of Commerce",
)
OTHER_ROLES: tuple[str, ...] = (
    "Independent Consultant", "Journalist", "Youth Campaigner", "Staff Member",
    "Fellow", "Retired Diplomat", "Author", "Liaison Officer",
)  # fmt: skip

REGIONAL_SCOPES: tuple[str, ...] = (
    "Africa",
    "the Arab region",
    "Asia and the Pacific",
    "Latin America and the Caribbean",
    "Small Island Developing States",
    "the Least Developed Countries",
    "Europe",
    "Central Asia",
)
# fmt: on

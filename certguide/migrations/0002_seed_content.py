"""Seed the two certifications and the page copy, written in certguide's own words."""

from django.db import migrations

CERTIFICATIONS = [
    {
        "slug": "csm",
        "code": "CSM",
        "name": "Certified ScrumMaster",
        "role": "Scrum Master",
        "order": 1,
        "summary": (
            "The Certified ScrumMaster credential shows that you understand how Scrum works, "
            "seen from the Scrum Master's seat: its principles and its day-to-day practice.\n\n"
            "A Scrum Master is a facilitator, a coach and a servant-leader rather than a boss. "
            "They guide the team until it organises itself and delivers well. Most of the job "
            "comes down to three things: clearing away whatever blocks the team, running the "
            "Scrum events, and keeping the team true to Scrum's values and principles."
        ),
        "focus": "Keeping the Scrum process running, clearing impediments and coaching the team",
        "primary_role": "A servant-leader who works for the Scrum team",
        "key_skills": "Facilitation, coaching, problem-solving and resolving conflict",
        "main_goal": "Make sure the team works by Scrum's principles and practices",
        "target_audience": "Scrum Masters, members of Scrum teams and project managers",
        "responsibilities": [
            (
                "Running the Scrum events",
                "Hosts the Daily Scrum, Sprint Planning, the Sprint Review and the Sprint "
                "Retrospective so that each meeting does its job.",
            ),
            (
                "Clearing impediments",
                "Spots whatever is slowing the team down, from a technical snag to a roadblock "
                "in the organisation, and gets it out of the way.",
            ),
            (
                "Coaching the team",
                "Teaches Agile principles and Scrum practice so the team becomes more "
                "self-organising and gets more done.",
            ),
            (
                "Shielding the team",
                "Keeps outside distractions and interference away so the team can concentrate "
                "on its work.",
            ),
            (
                "Championing Scrum values",
                "Stands up for commitment, courage, focus, openness and respect, inside the team "
                "and across the wider organisation.",
            ),
        ],
        "benefits": [
            (
                "A solid grasp of Scrum",
                "The CSM course takes you through Scrum's principles, practices and values in "
                "depth.",
            ),
            (
                "Sharper facilitation",
                "You learn to run Scrum events and other meetings that actually move the team "
                "forward.",
            ),
            (
                "More job openings",
                "Employers know the CSM and value it, which widens your options in Agile "
                "organisations.",
            ),
            (
                "Better pay prospects",
                "Certified ScrumMasters tend to earn more than colleagues who hold no "
                "certification.",
            ),
            (
                "Professional recognition",
                "The credential is a visible sign that you are committed to Agile principles.",
            ),
        ],
        "audiences": [
            "You want to become a Scrum Master.",
            "You already work as a Scrum Master and want to sharpen your skills.",
            "You belong to a Scrum team and want to understand Scrum more deeply.",
            "You are a project manager moving over to Agile ways of working.",
            "You want the people around you to collaborate and communicate better.",
        ],
    },
    {
        "slug": "cspo",
        "code": "CSPO",
        "name": "Certified Scrum Product Owner",
        "role": "Product Owner",
        "order": 2,
        "summary": (
            "The Certified Scrum Product Owner credential shows that you understand the "
            "Product Owner's part in Scrum.\n\n"
            "The Product Owner answers for getting the most value out of what the Development "
            "Team builds. They speak for the customer, and they own the Product Backlog: what "
            "goes on it, in which order, and how it is kept up to date."
        ),
        "focus": "Getting the most value out of the product and managing the Product Backlog",
        "primary_role": "The customer's voice on the team, in charge of the product vision",
        "key_skills": (
            "Product management, prioritisation, communication and working with stakeholders"
        ),
        "main_goal": "Define and deliver a product worth having, one that meets customers' needs",
        "target_audience": "Product Owners, business analysts, product managers and entrepreneurs",
        "responsibilities": [
            (
                "Setting the product vision",
                "Decides where the product is heading and makes sure the whole Scrum team "
                "understands it.",
            ),
            (
                "Building and owning the Product Backlog",
                "Creates, orders and looks after the Product Backlog: the single list of "
                "features, improvements and bug fixes the product still needs.",
            ),
            (
                "Prioritising features",
                "Decides what comes first by weighing what each item is worth to customers and "
                "to the business.",
            ),
            (
                "Taking part in Scrum events",
                "Joins Sprint Planning, the Sprint Review and the Sprint Retrospective, and the "
                "Daily Scrum too when it helps (attending that one is optional).",
            ),
            (
                "Working with stakeholders",
                "Stays close to stakeholders, collects their feedback and checks that the "
                "product gives them what they need.",
            ),
        ],
        "benefits": [
            (
                "Deep knowledge of product ownership",
                "The CSPO course covers the Product Owner's role and duties from end to end.",
            ),
            (
                "Stronger product management",
                "You learn to run a Product Backlog, rank features against each other and get "
                "more value out of the product.",
            ),
            (
                "Better communication and collaboration",
                "You get better at talking with stakeholders and at working hand in hand with "
                "the Scrum team.",
            ),
            (
                "More job openings",
                "Employers hunting for capable Product Owners actively look for the CSPO.",
            ),
            (
                "Better pay prospects",
                "Certified Scrum Product Owners usually earn more than peers without the "
                "certification.",
            ),
        ],
        "audiences": [
            "You want to become a Product Owner.",
            "You already work as a Product Owner and want to sharpen your skills.",
            "You are a business analyst or product manager making the move to Agile.",
            "You are an entrepreneur who wants to build and run products that succeed.",
            "You are the person who decides which product features matter and in what order.",
        ],
    },
]

SECTIONS = [
    (
        "home-intro",
        "",
        "Agile ways of working have spread through project management, above all in software "
        "teams, and Scrum is one of the most widely used and most effective Agile frameworks. "
        "Inside Scrum, two certifications are the best-known starting points: **Certified "
        "ScrumMaster (CSM)** and **Certified Scrum Product Owner (CSPO)**.\n\n"
        "Picking one can feel like a big decision. This site sets out what each certification "
        "concentrates on, what it gives you and who it suits, so you can choose the path that "
        "matches where you want your career to go.",
    ),
    (
        "compare-intro",
        "",
        "Both certifications are worth having inside Scrum, but they prepare you for different "
        "roles with different duties. The table puts them side by side.",
    ),
    (
        "choose-intro",
        "",
        "Which certification suits you best depends on the role you have today and the one "
        "you want next. The three cases below are a quick way to decide.",
    ),
    (
        "choose-csm",
        "Choose CSM if…",
        "- You like helping a team work well, clearing obstacles out of its way and seeing "
        "other people succeed.\n"
        "- Agile principles matter to you, and you want to help teams take up Scrum and get "
        "better at it.\n"
        "- You care most about *how* the work gets done.",
    ),
    (
        "choose-cspo",
        "Choose CSPO if…",
        "- Building products excites you, and you want to decide what gets delivered so that "
        "customers get real value.\n"
        "- You understand what the business needs and are comfortable making the call on "
        "product features.\n"
        "- You care most about *what* gets built and *why*.",
    ),
    (
        "choose-both",
        "Consider taking both",
        "If you want a rounded view of Scrum and hope to lead Agile transformations, earning "
        "both certifications makes sense. Holding both shows a serious commitment to Scrum and "
        "gives you the skills of both sides of the team.",
    ),
    (
        "continuous-learning",
        "Keep learning after the certificate",
        "A CSM or CSPO is a strong first step, not the finish line. Keep building your skills:\n"
        "\n"
        "- go to industry conferences,\n"
        "- read books and articles about Agile and Scrum,\n"
        "- take an active part in the Agile community.\n"
        "\n"
        "Agile practice keeps changing, so steady learning is what keeps you relevant and "
        "good at the job.",
    ),
    (
        "conclusion",
        "Making your choice",
        "Both the CSM and the CSPO help you move forward in Agile organisations. Once you know "
        "how they differ and weigh that against your career goals, either one is a sound "
        "investment in your professional growth.\n\n"
        "Whichever you pick, keep learning and keep putting your skills to work: that is what "
        "turns a certificate into a successful Scrum Master or Product Owner.",
    ),
]


def seed(apps, schema_editor):
    Certification = apps.get_model("certguide", "Certification")
    CertificationPoint = apps.get_model("certguide", "CertificationPoint")
    PageSection = apps.get_model("certguide", "PageSection")
    for data in CERTIFICATIONS:
        lists = {kind: data[kind] for kind in ("responsibilities", "benefits", "audiences")}
        fields = {key: value for key, value in data.items() if key not in lists}
        certification = Certification.objects.create(**fields)
        points = []
        for kind, key in [
            ("responsibility", "responsibilities"),
            ("benefit", "benefits"),
            ("audience", "audiences"),
        ]:
            for order, entry in enumerate(lists[key], start=1):
                title, text = entry if isinstance(entry, tuple) else ("", entry)
                points.append(
                    CertificationPoint(
                        certification=certification, kind=kind, title=title, text=text, order=order
                    )
                )
        CertificationPoint.objects.bulk_create(points)
    PageSection.objects.bulk_create(
        PageSection(slug=slug, title=title, body=body) for slug, title, body in SECTIONS
    )


def unseed(apps, schema_editor):
    apps.get_model("certguide", "Certification").objects.filter(slug__in=["csm", "cspo"]).delete()
    apps.get_model("certguide", "PageSection").objects.filter(
        slug__in=[slug for slug, _, _ in SECTIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("certguide", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

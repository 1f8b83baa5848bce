"""What is not article text: the phrase catalogue and the page regions to prune.

Phrases are compared by `match_key`, so tatweel (`أضف تعليقـك`), hamza/alef forms, digits and
punctuation do not defeat them. Sources: shared/outlets.md (seen on stored pages) plus the
common WordPress/Joomla/Drupal theme strings.
"""

from __future__ import annotations

import re

from newscrawler.normalise.text import match_key

# A standalone heading with one of these opens a list/box that runs to the end of the article:
# everything from it on is dropped (an embedded second article after "إقرأ أيضاً:" included).
_CUT_HEADINGS = (
    "اقرأ أيضاً", "إقرأ أيضاً", "اقرأ ايضا", "اقراء ايضا", "إقرأ أيضا", "اقرأ المزيد", "اقراء المزيد",
    "مقالات مشابهة", "مقالات ذات صلة", "أخبار ذات صلة", "اخبار ذات صلة", "مواضيع ذات صلة", "مواضيع متعلقة",
    "أخبار متعلقة", "اخبار متعلقة", "الأكثر قراءة", "الأكثر مشاهدة", "الأكثر تداولا", "آخر الأخبار",
    "آخر الاخبار", "أحدث الموضوعات", "المزيد من الأخبار", "التعليقات", "تعليقات", "أضف تعليقك",
    "أضف تعليق", "اترك تعليقاً", "اترك تعليقا", "اترك رد", "اترك ردا", "لا توجد تعليقات", "لا يوجد تعليقات بعد",
    "هەواڵی پەیوەندیدار", "هەواڵە پەیوەندیدارەکان", "بابەتی پەیوەندیدار", "زۆرترین خوێنراو", "اخبار مرتبط",
    "نظرات", "أخبار أخرى", "اخبار اخرى", "مواضيع أخرى", "المزيد من المواضيع", "Related", "Related articles", "Related news", "Read more", "Read also", "More stories",
    "Most read", "Comments", "Leave a comment", "Leave a reply", "You may also like",
)
# Whole lines that are furniture wherever they appear.
_DROP_LINES = (
    "logo", "top", "شارك", "مشاركة", "شارك الخبر", "شارك المقال", "طباعة", "أرسل لصديق", "نسخ الرابط",
    "تابعونا على", "طباعة الخبر", "أرسل الخبر لصديق", "ارسل لصديق", "طباعة الخبر | أرسل الخبر لصديق", "+ الخط -", "الخط", "مساحة إعلانية", "إعلان", "اعلان", "موافق", "Search",
    "Close this search box.", "Share", "Print", "Advertisement", "Tweet", "Facebook", "Twitter",
    "WhatsApp", "Telegram", "عن مصدر الخبر", "يمكن قراءة الخبر من المصدر من هنا", "اخبار العراق الان",
    "الكلمات المفتاحية", "الوسوم", "هاشتاغز", "بڵاوکردنەوە", "Tags",
)
# Line prefixes that mark furniture (the rest of the line is a value, not prose).
_DROP_PREFIXES = (
    "الكلمات المفتاحية", "الوسوم", "الوسم", "هاشتاغز", "Tags", "عدد القراءات", "عدد المشاهدات",
    "تاريخ النشر", "نشر في", "آخر تحديث", "اخر تحديث", "المتواجدون حاليا", "عدد الزيارات",
    "جميع الحقوق محفوظة", "حقوق النشر", "©", "Copyright", "للاطلاع على التقرير الكامل",
    "اشترك في النشرة", "إنظم للقائمة البريدية", "انضم للقائمة البريدية", "ادخل بريدك",
    "تواصل معنا من خلال الانضمام", "يستخدم هذا الموقع ملفات تعريف الارتباط", "لن يتم نشر عنوان بريدك",
    "يمكن قراءة الخبر من المصدر", "التعليقات (", "pic.twitter.com",
)
_CUT_KEYS = frozenset(match_key(p) for p in _CUT_HEADINGS)
_DROP_KEYS = frozenset(match_key(p) for p in _DROP_LINES)
_DROP_PREFIX_KEYS = tuple(k for k in (match_key(p) for p in _DROP_PREFIXES) if k)
# A line that ends a sentence (prose), as opposed to a heading, label or caption.
SENTENCE_END = re.compile(r"[.!؟?…»\"”]\s*$")
# "اقرأ أيضاً: <headline>" on one line is an inline teaser (the line goes, the body goes on).
TEASER_LINE = re.compile(r"^\s*(?:ا|إ|أ)?قر(?:أ|ا|اء)ـ*\s*(?:أ|ا)?يضـ*اً?\s*[:：\-–]\s*\S", re.UNICODE)
SOURCE_LINE = re.compile(
    r"^\s*(?:.{0,30}?\s[-–]\s*)?(?:المصدر|مصدر الخبر|نقلا عن|نقلاً عن|Source)\s*[:/：\-–]\s*(?P<name>[^\n]{2,60})$"
)
# "كتب: X", "بقلم X", "By X", possibly followed by other fields ("كتب: X بتاريخ: …", "By X | …").
BYLINE = re.compile(
    r"^\s*(?:بقلم|كتب بواسطة|كتبت|كتبه|كتب|إعداد|اعداد|تحرير|By)\s*[:：\-–]?\s*(?P<name>[^\d\n:|]{3,50}?)"
    r"\s*(?:$|[|•]|\s\S+\s*[:：])", re.IGNORECASE
)


def is_cut_heading(key: str) -> bool:
    """`key` is the line's match_key; a count ("التعليقات (0)", "2 تعليقات") is ignored."""
    return len(key) < 40 and (key in _CUT_KEYS or re.sub(r"^\d+\s*|\s*\d+$", "", key) in _CUT_KEYS)


def is_drop_line(key: str, extra_keys: frozenset[str] = frozenset()) -> bool:
    """`key` is the line's match_key."""
    if not key:
        return True  # punctuation/bullets only
    if key in _DROP_KEYS or key in extra_keys:
        return True
    return key.startswith(_DROP_PREFIX_KEYS) and key.count(" ") < 25

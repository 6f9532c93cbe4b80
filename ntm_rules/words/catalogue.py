"""Every word the reports and the office's pages print, one catalogue per language: `VI` and `EN`
hold the same keys, one key per meaning.

A word is written as it stands inside a sentence ("đạt chuẩn", "yêu cầu"); a heading or a cell
that starts with it capitalises its first letter (`phrases.cap`, the templates' `cap` filter), and
a verdict shown as a mark is in capitals ("ĐẠT", `attained_mark`; "CHƯA ĐẠT", `not_attained`).
Texts with {fields} are filled with str.format. What a ruleset names (criteria, indicators,
departments, units) stays in the ruleset.
"""
from __future__ import annotations

MARKS = {"met": "✓", "not_met": "✗", "missing": "?"}  # a status as a sign, the same in every language

VI = {
    # --- statuses and verdicts
    "met": "đạt", "not_met": "không đạt", "missing": "thiếu số liệu", "marks": MARKS,
    "attained": "đạt chuẩn", "not_attained": "chưa đạt", "attained_mark": "ĐẠT",
    "verdict_attained": "ĐẠT chuẩn nông thôn mới", "verdict_not_attained": "CHƯA ĐẠT chuẩn nông thôn mới",
    "attained_level": "ĐẠT {level}", "not_attained_level": "CHƯA ĐẠT {level}",
    "missing_data": "chưa đạt chỉ vì thiếu số liệu", "met_count": "đạt {met}/{total} tiêu chí",
    "certain": "chắc chắn", "uncertain": "phụ thuộc ngưỡng chưa xác nhận",
    "certain_not_met": "{ids} không đạt theo ngưỡng đã xác nhận",
    "certain_bound": "{ids} không đạt theo giới hạn đã biết của ngưỡng",
    "certain_missing": "thiếu số liệu: {ids} (chưa đủ số liệu để công nhận)",
    "uncertain_declared": "yêu cầu do xã tự khai báo, chưa kiểm tra: {ids}",
    "yes": "Có", "no": "Không", "none": "không có", "no_data": "không có số liệu",
    # --- what is assessed, and against what
    "commune": "xã", "communes": "xã", "district": "huyện", "districts": "Theo huyện", "no_district": "(không ghi huyện)",
    "region": "vùng", "region_from_province": "suy ra từ tỉnh", "group": "nhóm xã", "year": "năm", "years": "Năm đánh giá",
    "assessment_year": "năm đánh giá", "code": "mã", "ruleset": "Bộ tiêu chí", "chosen_because": "chọn vì đây là",
    "note": "Ghi chú của bộ tiêu chí", "criterion": "tiêu chí", "criteria": "tiêu chí", "indicator": "chỉ tiêu",
    "indicators": "chỉ tiêu", "level": "Cấp", "level_standard": "Chuẩn nông thôn mới",
    "level_advanced": "Nông thôn mới nâng cao", "level_model": "chuẩn xã nông thôn mới kiểu mẫu",
    "requires_first": "cần đạt {level} trước",
    # --- a finding
    "result": "Kết quả", "conclusion": "Kết luận", "value": "hiện trạng", "threshold": "Ngưỡng", "required": "yêu cầu",
    "gap": "còn thiếu / vượt", "short": "còn thiếu", "over": "vượt mức tối đa", "off": "chênh lệch",
    "left": "còn {amount}", "none_left": "không còn ({unit})", "points": "điểm %", "unit": "đơn vị tính",
    "status": "tình trạng", "basis": "Căn cứ", "restated": "theo trang dẫn lại",
    "no_page": "chưa thấy trang nào nêu ngưỡng này", "confirmed": "đã xác nhận", "unconfirmed": "chưa xác nhận",
    "declared": "[tự khai báo, công cụ không kiểm tra]", "year_value_lower": "mức quy định của năm {year} không cao hơn mức này",
    "department": "Sở, ngành chủ trì", "departments": "Sở, ngành chủ trì",
    "assignment_unconfirmed": "[phân công chưa xác nhận]",
    "assignment_by_ministry": "[phân công chưa xác nhận: sở tương ứng với {ministry}, bộ hướng dẫn tiêu chí]",
    # --- the report of a commune
    "unconfirmed_count": "Số ngưỡng chưa xác nhận đã áp dụng", "criteria_not_met": "Tiêu chí không đạt",
    "missing_list": "Chỉ tiêu thiếu số liệu", "criteria_met": "Tiêu chí đạt",
    "unconfirmed_met": "Đạt nhưng dựa trên ngưỡng chưa xác nhận", "declared_list": "Yêu cầu do người đánh giá tự khai báo",
    "indicators_not_met": "chỉ tiêu không đạt", "indicators_missing": "chỉ tiêu thiếu số liệu",
    "to_act_on": "Chỉ tiêu không đạt và thiếu số liệu", "to_do": "Chỉ tiêu phải xử lý", "supply_data": "bổ sung số liệu",
    "stored_by": "Người lưu (khóa)", "page_of": "Trang {0}/{1}", "prev_page": "Trang trước", "next_page": "Trang sau",
    "stale_form": "Biểu mẫu đã cũ hoặc gửi từ trang khác; không lưu gì", "reload": "tải lại trang rồi gửi lại",
    "next": "Việc cần làm tiếp", "next_plan": "Lập kế hoạch khắc phục gửi Văn phòng Điều phối: {command}",
    "next_plan_words": "Lập kế hoạch khắc phục (mẫu kế hoạch của ntm-rules) gửi Văn phòng Điều phối nông thôn mới tỉnh",
    "next_departments": "Sở, ngành chủ trì và các chỉ tiêu phải xử lý:", "plan_file": "ke-hoach.xlsx",
    "warning": "Lưu ý: ngưỡng đánh dấu [chưa xác nhận] chưa thấy trang công khai nào nêu; kết quả dựa trên "
               "chúng không phải là kết luận pháp lý.",
    "warning_count": "Lưu ý: {n} ngưỡng áp dụng chưa xác nhận (chưa thấy trang công khai nào nêu); "
                     "kết quả dựa trên các ngưỡng đó không phải là kết luận pháp lý.",
    "legend": "Chú giải: ngưỡng không đánh dấu đã được xác nhận (nêu trên một trang công khai dẫn lại văn bản, "
              "có địa chỉ); [chưa xác nhận] = được cho là của văn bản nhưng chưa thấy trang nào nêu; "
              "[phân công chưa xác nhận] = chưa thấy văn bản nêu đơn vị này chủ trì chỉ tiêu.",
    "legend_title": "Chú giải", "confirmed_means": "ngưỡng được nêu trên một trang công khai dẫn lại văn bản (có địa chỉ)",
    "unconfirmed_means": "ngưỡng được cho là của văn bản nhưng chưa thấy trang nào nêu",
    "assignment_means": "chưa thấy văn bản nêu đơn vị này chủ trì",
    "assessment_title": "Kết quả đánh giá xã nông thôn mới", "report_date": "Ngày lập", "generated": "Tạo bởi ntm-rules",
    # --- the remediation plan
    "plan": "Kế hoạch", "plan_title": "Kế hoạch hoàn thành các tiêu chí chưa đạt — {place}, năm {year}",
    "plan_subtitle": "{ruleset}: {title} ({id}); {met_count}; lập ngày {date}", "row_number": "STT",
    "threshold_confirmed": "Ngưỡng đã xác nhận", "finding_certain": "Kết luận chắc chắn", "solution": "Giải pháp",
    "steps": "Các bước và tiến độ", "funds": "Kinh phí, nguồn vốn", "person_in_charge": "Người phụ trách",
    "deadline": "Thời hạn hoàn thành", "drawn_up_by": "Người lập", "approved_by": "TM. Ủy ban nhân dân xã — Chủ tịch",
    "nothing_to_do": "Không có tiêu chí cần khắc phục: xã đạt tất cả các tiêu chí của bộ tiêu chí.",
    # --- the provincial summary
    "summary": "Tổng hợp", "summary_title": "Báo cáo tổng hợp kết quả đánh giá xã nông thôn mới",
    "rows_read": "dòng đã đọc", "rows_read_count": "Số dòng đã đọc",
    "communes_distinct": "xã (đơn vị hành chính khác nhau)",
    "communes_distinct_count": "Số xã (đơn vị hành chính khác nhau, đã đánh giá hoặc không)",
    "communes_count": "Số xã", "assessed": "đã đánh giá", "communes_assessed": "Số xã đã đánh giá",
    "rejected": "không đánh giá được", "rows_rejected": "dòng không đánh giá được",
    "rejected_see_workbook": "Số dòng không đánh giá được (xem rejected.xlsx)",
    "not_in_directory": "Xã không có trong danh mục đơn vị hành chính (vẫn được đánh giá, giữ tên như đã ghi)",
    "average": "bình quân tiêu chí đạt/xã", "brackets": "Số xã theo số tiêu chí đạt", "band": "{band} tiêu chí",
    "under": "dưới {n}", "under_low_mark": "Xã dưới {mark} tiêu chí", "by_criterion": "Theo tiêu chí",
    "failing_by_criterion": "Số xã không đạt theo tiêu chí", "n_not_met": "{n} xã không đạt",
    "n_missing": "{n} xã thiếu số liệu", "indicators_failing": "Chỉ tiêu chưa đạt", "registered": "Xã đăng ký đạt chuẩn",
    "not_in_results": "không có trong kết quả", "registered_rejected": "dòng {row} không đánh giá được: {reason}",
    "registered_ambiguous": "trùng tên: {candidates}; cách sửa: thêm huyện (hoặc mã xã) vào danh sách đăng ký",
    "registered_suggest": "không có trong kết quả; có phải {suggestion}?", "or": "hay",
    "rejected_rows": "Dòng không đánh giá được", "row": "dòng", "see_rejected": "xem đủ trong rejected.xlsx",
    "rejection_reason": "Lý do không đánh giá được", "file": "Tệp", "columns_ignored": "Cột không đọc",
    "sheets_skipped": "Trang không đọc (không có dòng tiêu đề)",
    # --- the history
    "history": "Lịch sử đánh giá", "rounds": "Các lượt", "batch": "Lượt đánh giá", "date": "Ngày",
    "attained_count": "Số xã đạt chuẩn", "gained": "đạt thêm", "lost": "không còn đạt",
    "indicators_gained": "chỉ tiêu đạt thêm", "indicators_lost": "chỉ tiêu không còn đạt", "no_change": "không đổi",
    "first": "lần đầu", "changes": "Thay đổi so với lượt trước",
    "by_commune": "Theo xã: số tiêu chí đạt qua các lượt, và thay đổi so với lượt trước",
    "by_department": "Theo sở, ngành: tiêu chí không đạt (số xã không đạt một trong các tiêu chí đó)",
    "registered_against_target": "Xã đăng ký đạt chuẩn, so với năm đăng ký", "target": "đăng ký đạt năm",
    "state": "Tình hình", "on_time": "đã đạt năm {year}, đúng hạn", "late": "đạt năm {year}, chậm so với đăng ký",
    "not_yet": "chưa đạt (lần gần nhất {year}: {met}/{total} tiêu chí)", "no_assessment": "chưa có kết quả đánh giá",
    "status_rejected": "dòng của xã không đánh giá được", "status_ambiguous": "trùng tên, không rõ xã nào",
    # --- the office's pages
    "site_title": "Đánh giá xã nông thôn mới", "upload": "Tải lên danh sách xã để đánh giá",
    "data_file": "Tệp số liệu các xã (.xlsx, .csv hoặc .jsonl)",
    "registered_file": "Danh sách xã đăng ký đạt chuẩn (tùy chọn: .txt, .csv, .json)",
    "ruleset_choice": "Bộ tiêu chí (để trống: tự chọn theo tệp)", "submit": "Đánh giá", "batches": "Các lượt đã đánh giá",
    "progress": "Tiến độ theo tỉnh", "progress_title": "Tiến độ xây dựng nông thôn mới", "no_batch": "Chưa có lượt nào.",
    "summary_link": "Báo cáo tổng hợp (bản in)", "rejected_file": "Tải các dòng không đánh giá được (rejected.xlsx)",
    "assessments_file": "Kết quả từng xã (JSON Lines)", "criteria_met_count": "Số tiêu chí đạt", "page": "Trang in",
    "open": "Xem", "back": "Trang đầu", "other_lang": "English", "csv": "Tải bảng lịch sử (CSV)",
    "login": "Nhập mã truy cập", "token": "Mã truy cập", "enter": "Vào", "wrong": "Mã truy cập không đúng.",
    "not_found": "Không tìm thấy",
    # --- the history across the reform of 1 July 2025 (places by their identity)
    "reform_title": "Sắp xếp đơn vị hành chính từ 1/7/2025: xã trước và xã nay",
    "reform_intro": "Mỗi dòng: một xã từ 1/7/2025 và các xã trước đó (đã có trong lịch sử) nay thuộc xã ấy, "
                    "theo danh mục đơn vị hành chính.",
    "commune_today": "xã từ 1/7/2025", "communes_before": "các xã trước 1/7/2025 nay thuộc xã này",
    "divided_between": "chia cho các xã", "province_now_part": "Từ 1/7/2025 tỉnh này thuộc {province}.",
    "provinces_before": "Từ 1/7/2025 tỉnh này gồm cả các tỉnh trước đây",
    "now_part_of": "Từ 1/7/2025 thuộc", "made_of": "Lập từ các xã trước 1/7/2025", "written_as": "Tên như dòng dữ liệu ghi",
    "not_in_directory_short": "Không có trong danh mục đơn vị hành chính: tên giữ như dòng dữ liệu ghi.",
}

EN = {
    # --- statuses and verdicts
    "met": "met", "not_met": "not met", "missing": "missing data", "marks": MARKS,
    "attained": "attained", "not_attained": "not attained", "attained_mark": "ATTAINED",
    "verdict_attained": "ATTAINS the new rural standard",
    "verdict_not_attained": "DOES NOT YET ATTAIN the new rural standard",
    "attained_level": "ATTAINS {level}", "not_attained_level": "DOES NOT YET ATTAIN {level}",
    "missing_data": "not attained only for missing data", "met_count": "{met} of {total} criteria met",
    "certain": "certain", "uncertain": "depends on unconfirmed thresholds",
    "certain_not_met": "{ids} not met on confirmed thresholds",
    "certain_bound": "{ids} not met on the known bound of the threshold",
    "certain_missing": "missing data: {ids} (not enough data to recognise)",
    "uncertain_declared": "requirements declared by the commune, not checked: {ids}",
    "yes": "Yes", "no": "No", "none": "none", "no_data": "no data",
    # --- what is assessed, and against what
    "commune": "commune", "communes": "communes", "district": "district", "districts": "By district",
    "no_district": "(no district given)", "region": "region", "region_from_province": "derived from the province",
    "group": "commune group", "year": "year", "years": "Assessment years", "assessment_year": "the assessment year",
    "code": "code", "ruleset": "Criteria set", "chosen_because": "chosen as", "note": "Note of the criteria set",
    "criterion": "criterion", "criteria": "criteria", "indicator": "indicator", "indicators": "indicators",
    "level": "Level", "level_standard": "the new rural standard", "level_advanced": "the advanced new rural standard",
    "level_model": "model new rural commune status", "requires_first": "requires {level} first",
    # --- a finding
    "result": "Result", "conclusion": "Conclusion", "value": "current value", "threshold": "Threshold",
    "required": "required", "gap": "short by / over by", "short": "short by", "over": "over by", "off": "off by",
    "left": "{amount} remain", "none_left": "none ({unit})", "points": "percentage points", "unit": "unit",
    "status": "status", "basis": "Basis", "restated": "as restated at", "no_page": "no page seen stating this threshold",
    "confirmed": "confirmed", "unconfirmed": "unconfirmed", "declared": "[declared by the assessor, not checked by the tool]",
    "year_value_lower": "the real value for {year} is not higher than this one",
    "department": "Lead department", "departments": "Lead departments", "assignment_unconfirmed": "[assignment unconfirmed]",
    "assignment_by_ministry": "[assignment unconfirmed: the department matching the {ministry}, which guides the criterion]",
    # --- the report of a commune
    "unconfirmed_count": "Unconfirmed thresholds applied", "criteria_not_met": "Criteria not met",
    "missing_list": "Missing data (could not be assessed)", "criteria_met": "Criteria met",
    "unconfirmed_met": "Met, but on unconfirmed thresholds", "declared_list": "Requirements declared by the assessor",
    "indicators_not_met": "indicators not met", "indicators_missing": "indicators without data",
    "to_act_on": "Indicators not met or without data", "to_do": "Indicators to act on", "supply_data": "supply the data",
    "stored_by": "Stored by (key)", "page_of": "Page {0} of {1}", "prev_page": "Previous page", "next_page": "Next page",
    "stale_form": "The form is stale or was sent from another site; nothing was stored",
    "reload": "reload the page and send it again",
    "next": "What next", "next_plan": "Write the remediation plan for the coordination office: {command}",
    "next_plan_words": "Write the remediation plan (ntm-rules' plan template) for the province's coordination office",
    "next_departments": "Lead departments and the indicators each must act on:", "plan_file": "plan.xlsx",
    "warning": "Note: thresholds marked [unconfirmed] were not seen on any public page; a verdict resting on "
               "them is not a legal finding.",
    "warning_count": "Note: {n} thresholds applied are unconfirmed (not seen on any public page); "
                     "verdicts resting on them are not legal findings.",
    "legend": "Legend: an unmarked threshold is confirmed (stated on a public page that restates the text, "
              "address given); [unconfirmed] = believed to be the text's value but not seen on any page; "
              "[assignment unconfirmed] = no text seen names this body as the lead for the indicator.",
    "legend_title": "Legend", "confirmed_means": "the threshold is stated on a public page that restates the text "
                                                 "(address given)",
    "unconfirmed_means": "believed to be the text's value, not seen on any page",
    "assignment_means": "no text seen names this body as the lead",
    "assessment_title": "New rural area assessment", "report_date": "Date", "generated": "Generated by ntm-rules",
    # --- the remediation plan
    "plan": "Plan", "plan_title": "Plan to meet the unmet criteria — {place}, {year}",
    "plan_subtitle": "{ruleset}: {title} ({id}); {met_count}; drawn up {date}", "row_number": "No.",
    "threshold_confirmed": "Threshold confirmed", "finding_certain": "Finding certain", "solution": "Solution",
    "steps": "Steps and timeline", "funds": "Funds and their source", "person_in_charge": "Person in charge",
    "deadline": "Deadline", "drawn_up_by": "Drawn up by", "approved_by": "For the commune People's Committee — Chairperson",
    "nothing_to_do": "No criterion to remedy: the commune meets every criterion of the set.",
    # --- the provincial summary
    "summary": "Summary", "summary_title": "Provincial summary of the new rural area assessment",
    "rows_read": "rows read", "rows_read_count": "Rows read",
    "communes_distinct": "communes (distinct administrative units)",
    "communes_distinct_count": "Communes (distinct administrative units, assessed or not)",
    "communes_count": "Communes", "assessed": "assessed", "communes_assessed": "Communes assessed",
    "rejected": "could not be assessed", "rows_rejected": "rows could not be assessed",
    "rejected_see_workbook": "Rows that could not be assessed (see rejected.xlsx)",
    "not_in_directory": "Communes not in the directory of administrative units (assessed all the same, kept as written)",
    "average": "average criteria met per commune", "brackets": "Communes by criteria met", "band": "{band} criteria",
    "under": "under {n}", "under_low_mark": "Communes under {mark} criteria", "by_criterion": "By criterion",
    "failing_by_criterion": "Communes failing each criterion", "n_not_met": "{n} communes not met",
    "n_missing": "{n} without data", "indicators_failing": "Indicators still failing", "registered": "Registered communes",
    "not_in_results": "not among the results", "registered_rejected": "row {row} could not be assessed: {reason}",
    "registered_ambiguous": "the name is shared: {candidates}; fix: add the district (or the code) to the registered list",
    "registered_suggest": "not among the results; did you mean {suggestion}?", "or": "or",
    "rejected_rows": "Rows that could not be assessed", "row": "row", "see_rejected": "see all in rejected.xlsx",
    "rejection_reason": "Why it could not be assessed", "file": "File", "columns_ignored": "Columns not read",
    "sheets_skipped": "Sheets not read (no header row)",
    # --- the history
    "history": "Assessment history", "rounds": "Batches", "batch": "Batch", "date": "Date",
    "attained_count": "Communes attained", "gained": "now met", "lost": "no longer met",
    "indicators_gained": "indicators now met", "indicators_lost": "indicators no longer met", "no_change": "no change",
    "first": "first assessment", "changes": "Changes since the previous batch",
    "by_commune": "By commune: criteria met over the batches, and what changed since the previous one",
    "by_department": "By department: failing criteria (communes failing one of them)",
    "registered_against_target": "Communes registered to attain, against their target year", "target": "target year",
    "state": "State", "on_time": "attained in {year}, on time", "late": "attained in {year}, later than registered",
    "not_yet": "not yet attained (latest {year}: {met}/{total} criteria)", "no_assessment": "no assessment yet",
    "status_rejected": "its row could not be assessed", "status_ambiguous": "name shared, commune unclear",
    # --- the office's pages
    "site_title": "New rural area commune assessment", "upload": "Upload a list of communes to assess",
    "data_file": "Communes' data (.xlsx, .csv or .jsonl)",
    "registered_file": "Communes registered to attain (optional: .txt, .csv, .json)",
    "ruleset_choice": "Criteria set (empty: chosen from the file)", "submit": "Assess", "batches": "Batches assessed",
    "progress": "Progress by province", "progress_title": "New rural area progress", "no_batch": "No batch yet.",
    "summary_link": "Provincial summary (printable)",
    "rejected_file": "Download the rows that could not be assessed (rejected.xlsx)",
    "assessments_file": "Each commune's result (JSON Lines)", "criteria_met_count": "Criteria met",
    "page": "Printable page", "open": "Open", "back": "Home", "other_lang": "Tiếng Việt",
    "csv": "Download the history (CSV)", "login": "Enter the access token", "token": "Access token", "enter": "Enter",
    "wrong": "Wrong access token.", "not_found": "Not found",
    # --- the history across the reform of 1 July 2025 (places by their identity)
    "reform_title": "The reorganisation of 1 July 2025: communes before and today",
    "reform_intro": "Each row: a commune from 1 July 2025 and the communes before it (in the history) that are now "
                    "part of it, by the directory of administrative units.",
    "commune_today": "commune from 1 July 2025", "communes_before": "communes before 1 July 2025 now part of it",
    "divided_between": "divided between", "province_now_part": "Since 1 July 2025 this province is part of {province}.",
    "provinces_before": "Since 1 July 2025 this province also includes the former provinces",
    "now_part_of": "Since 1 July 2025 part of", "made_of": "Made of the communes before 1 July 2025",
    "written_as": "Name as the rows wrote it",
    "not_in_directory_short": "Not in the directory of administrative units: the name is kept as the rows wrote it.",
}

WORDS = {"vi": VI, "en": EN}

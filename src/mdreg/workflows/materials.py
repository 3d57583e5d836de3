"""纸质材料 — the paper documents the department checks (需带纸质资料文件).

The 2017 measures (Art 12) list the materials of a registration; the other business types reuse
them, with the additions each type's rules name. Provinces may ask for more (2017 Art 12 (4)).
"""

from __future__ import annotations

from mdreg.rules.citations import PLA_MEASURES, PORTAL_HELP, REGISTRATION_MEASURES
from mdreg.workflows.declaration import Material

APPLICATION_FORM = Material("医师执业注册申请审核表", "application and review form (printed from the "
                            "portal, signed and stamped by the institution)",
                            REGISTRATION_MEASURES.article("第十二条第（一）项", "S3"))
PHOTO = Material("近6个月2寸白底免冠正面半身照片", "recent (6 months) 2-inch photo, white background",
                 REGISTRATION_MEASURES.article("第十二条第（二）项", "S3"))
EMPLOYMENT_PROOF = Material("医疗、预防、保健机构的聘用证明", "employment proof from the institution",
                            REGISTRATION_MEASURES.article("第十二条第（三）项", "S3"))
QUALIFICATION_CERTIFICATE = Material("《医师资格证书》", "qualification certificate",
                                     REGISTRATION_MEASURES.article("第十二条", "S3"),
                                     note="原件及复印件")
PRACTICE_CERTIFICATE = Material("《医师执业证书》", "practice certificate",
                                REGISTRATION_MEASURES.article("第二十条", "S3"),
                                note="原件（变更、注销时交回或换发）")
PROVINCIAL = Material("省级以上卫生健康主管部门规定的其他材料",
                      "other materials set by a provincial-or-higher department",
                      REGISTRATION_MEASURES.article("第十二条第（四）项", "S3"))
CONFIRMED_ONLINE = Material("经机构确认的网上申请（打印件）", "the online application as confirmed "
                            "by the institution, printed", PORTAL_HELP.article("个人业务办理说明", "S9"))
MILITARY_PROOF = Material("原军队注册机关出具的证明", "proof from the original military registering "
                          "organ; the military physician certificate handed back",
                          PLA_MEASURES.article("第九条", "S6"))
CIVILIAN_PROOF = Material("原注册卫生健康主管部门出具的证明", "proof from the original civilian "
                          "registering department; the practice certificate handed back",
                          PLA_MEASURES.article("第十条", "S6"))

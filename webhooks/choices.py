from django.db import models


class EventKind(models.TextChoices):
    """What an endpoint may subscribe to: the audit action names of the services that emit."""

    CASE_REPORT = "case.report", "诉求：上报"
    CASE_ACCEPT = "case.accept", "诉求：受理分办"
    CASE_RETRIAGE = "case.retriage", "诉求：改变分办"
    CASE_DISPATCH = "case.dispatch", "诉求：派单"
    CASE_ACKNOWLEDGE = "case.acknowledge", "诉求：部门报到"
    CASE_RESOLVE = "case.resolve", "诉求：办结"
    CASE_EVALUATE = "case.evaluate", "诉求：评价"
    CASE_REOPEN = "case.reopen", "诉求：退回重办"
    MEETING_PLAN = "meeting.plan", "会议：计划"
    MEETING_HOLD = "meeting.hold", "会议：召开"
    RESOLUTION_PUBLIC = "resolution.public", "决议：向居民公开"
    TASK_DISPATCH = "task.dispatch", "派单：派出"
    TASK_ACCEPT = "task.accept", "派单：接单"
    TASK_REJECT = "task.reject", "派单：退回"
    TASK_PROGRESS = "task.progress", "派单：进展"
    TASK_COMPLETE = "task.complete", "派单：办结"
    TASK_EVALUATE = "task.evaluate", "派单：评价"
    AGREEMENT_SIGN = "agreement.sign", "共建协议：签订"
    AGREEMENT_TERMINATE = "agreement.terminate", "共建协议：终止"
    AGREEMENT_EXPIRE = "agreement.expire", "共建协议：到期"
    IMPORT_COMMIT = "import.commit", "文件导入：已提交"
    MEMBER_CREATE = "member.create", "党员：新增"
    MEMBER_UPDATE = "member.update", "党员：修改"
    MEMBER_DELETE = "member.delete", "党员：删除"
    HOUSEHOLD_CREATE = "household.create", "住户：新增"
    HOUSEHOLD_UPDATE = "household.update", "住户：修改"
    HOUSEHOLD_DELETE = "household.delete", "住户：删除"
    RESIDENT_CREATE = "resident.create", "居民：新增"
    RESIDENT_UPDATE = "resident.update", "居民：修改"
    RESIDENT_DELETE = "resident.delete", "居民：删除"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待投递"
    SENDING = "sending", "投递中"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "已放弃"

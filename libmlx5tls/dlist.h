/* SPDX-License-Identifier: MIT */
#ifndef MLX5TLS_DLIST_H
#define MLX5TLS_DLIST_H

/*
 * Intrusive doubly linked lists with O(1) unlink, in the shape of <sys/queue.h>'s LIST (a
 * forward pointer and a pointer to whatever points at the element: the head or the previous
 * element's forward pointer). Small macros of our own rather than libbsd's so that the forward
 * fields keep their names (readers walk `head` / `elm->next` unchanged) and the library does
 * not link libbsd. The caller provides the locking.
 *
 *   head:  address of the list's head pointer (struct T **)
 *   next:  name of the forward field (struct T *)
 *   pprev: name of the back field (struct T **)
 */
#define DLIST_INSERT_HEAD(head, elm, next, pprev)                                               \
	do {                                                                                     \
		if (((elm)->next = *(head)) != NULL)                                             \
			(*(head))->pprev = &(elm)->next;                                         \
		*(head) = (elm);                                                                 \
		(elm)->pprev = (head);                                                           \
	} while (0)

/* Unlinks elm if it is on a list (a NULL back field means it is not). */
#define DLIST_REMOVE(elm, next, pprev)                                                          \
	do {                                                                                     \
		if ((elm)->pprev != NULL) {                                                      \
			if ((elm)->next != NULL)                                                 \
				(elm)->next->pprev = (elm)->pprev;                               \
			*(elm)->pprev = (elm)->next;                                             \
			(elm)->next = NULL;                                                      \
			(elm)->pprev = NULL;                                                     \
		}                                                                                \
	} while (0)

#endif /* MLX5TLS_DLIST_H */
